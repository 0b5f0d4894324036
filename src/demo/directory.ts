// Apart from the rest of the demo, which pulls in faker and an OpenID Provider: the server and the
// CLI name the demo directory without loading those (they are imported only when the demo runs).
export const DEMO_DIRECTORY = 'demo-directory';

export const demoDirectoryInstance = { id: DEMO_DIRECTORY, plugin: 'local-directory', config: { file: 'directory.json' } };
