import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryConfigError, loadDirectories } from '../../src/sync/registry.js';
import type { RegistryContext } from '../../src/sync/registry.js';

const PLUGINS = resolve(import.meta.dirname, '../../plugins');
const SECRET = 'S3cret-Value-From-Env';
const quiet = { info() {}, warn() {}, error() {} };

let tmp: string;
let ctx: (env?: NodeJS.ProcessEnv) => RegistryContext;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'registry-'));
  // Plugins that break the contract in different ways, next to the real ones.
  const own = join(tmp, 'plugins');
  await mkdir(join(own, 'no-default'), { recursive: true });
  await writeFile(join(own, 'no-default', 'index.js'), 'export const x = 1;\n');
  await mkdir(join(own, 'throws'), { recursive: true });
  await writeFile(join(own, 'throws', 'index.js'), [
    "const schema = { safeParseAsync: async (v) => ({ success: true, data: v }) };",
    "export default { name: 'throws', configSchema: schema, create(c) { throw new Error('cannot connect with ' + c.token); } };",
  ].join('\n'));
  ctx = (env = {}) => ({ pluginDirs: [own, PLUGINS], dataDir: tmp, logger: quiet, env });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function failure(...args: Parameters<typeof loadDirectories>): Promise<DirectoryConfigError> {
  const err = await loadDirectories(...args).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DirectoryConfigError);
  return err as DirectoryConfigError;
}

const template = (config: unknown) => ({ id: 'demo', plugin: 'template', config });

describe('loadDirectories', () => {
  it('loads a plugin from the plugins folder and gives its adapter by instance id', async () => {
    const registry = await loadDirectories([template({ minLength: 8 })], ctx());
    expect(registry.get('demo')).toMatchObject({ id: 'demo', plugin: 'template' });
    expect(registry.get('demo')?.adapter.capabilities.setPassword).toBe(true);
    expect(registry.list().map((i) => i.id)).toEqual(['demo']);
    expect(registry.get('other')).toBeUndefined();
    await registry.close();
  });

  it('names the instance when the plugin does not exist', async () => {
    const err = await failure([template({}), { id: 'acme', plugin: 'no-such-plugin-xyz', config: {} }], ctx());
    expect(err.message).toContain('directories[1] "acme" (plugin no-such-plugin-xyz): plugin not found');
    expect(err.message).toContain('Hint:');
  });

  it('names the instance when the module is not a plugin definition', async () => {
    const err = await failure([{ id: 'x', plugin: 'no-default', config: {} }], ctx());
    expect(err.message).toContain('directories[0] "x" (plugin no-default): the module does not default-export a plugin definition');
  });

  it('names the exact config path of a bad value', async () => {
    const err = await failure([template({ minLength: 'long', users: [{ id: '1', login: 'a' }] })], ctx());
    expect(err.message).toContain('directories[0] "demo" (plugin template): config.minLength:');
    expect(err.message).toContain('directories[0] "demo" (plugin template): config.users[0].password:');
    expect(err.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['config.minLength', 'config.users[0].password']));
  });

  it('resolves an env: reference and hides it in the redacted config', async () => {
    const registry = await loadDirectories(
      [template({ users: [{ id: '1', login: 'alice', password: 'env:ALICE_PW', email: 'env:ALICE_MAIL' }] })],
      ctx({ ALICE_PW: SECRET, ALICE_MAIL: 'alice@example.com' }),
    );
    const adapter = registry.get('demo')!.adapter;
    expect(await adapter.verifyPassword!({ targetUserId: '1', canonicalName: 'alice' }, SECRET)).toBe(true);
    expect(registry.redactedConfig('demo')).toEqual({
      minLength: 8,
      users: [{ id: '1', login: 'alice', password: '••••', email: '••••' }],
    });
  });

  it('resolves a file: reference without its trailing newline', async () => {
    await writeFile(join(tmp, 'pw.txt'), `${SECRET}\n`);
    const registry = await loadDirectories([template({ users: [{ id: '1', login: 'a', password: `file:${join(tmp, 'pw.txt')}` }] })], ctx());
    expect(await registry.get('demo')!.adapter.verifyPassword!({ targetUserId: '1', canonicalName: 'a' }, SECRET)).toBe(true);
  });

  it('names the key and the variable, never a value, when an env var is missing', async () => {
    const err = await failure(
      [template({ users: [{ id: '1', login: 'a', email: 'env:PRESENT', password: 'env:MISSING_PW' }] })],
      ctx({ PRESENT: SECRET }),
    );
    expect(err.message).toContain('config.users[0].password: environment variable MISSING_PW (from env:MISSING_PW) is not set');
    expect(err.message).not.toContain(SECRET);
  });

  it('names the path of an unreadable file: reference', async () => {
    const err = await failure([template({ users: [{ id: '1', login: 'a', password: 'file:/nonexistent/pw' }] })], ctx());
    expect(err.message).toContain('config.users[0].password: cannot read /nonexistent/pw');
  });

  it('keeps a resolved secret out of a schema message and out of a failing create()', async () => {
    const schemaErr = await failure([template({ minLength: 'env:LEN' })], ctx({ LEN: SECRET }));
    expect(schemaErr.message).toContain('config.minLength:');
    expect(schemaErr.message).not.toContain(SECRET);
    const createErr = await failure([{ id: 't', plugin: 'throws', config: { token: 'env:TOKEN' } }], ctx({ TOKEN: SECRET }));
    expect(createErr.message).toContain('directories[0] "t" (plugin throws): the plugin failed to start: cannot connect with ••••');
    expect(createErr.message).not.toContain(SECRET);
  });

  it('reports every broken instance in one error, and a duplicate id', async () => {
    const err = await failure([
      { id: 'a', plugin: 'nope-1', config: {} },
      template({}),
      template({}),
      { id: 'b', plugin: 'template', config: { minLength: 0 } },
    ], ctx());
    expect(err.problems.map((p) => [p.index, p.path])).toEqual([[0, undefined], [2, 'id'], [3, 'config.minLength']]);
  });

  it('redacts keys that look secret even when written inline', async () => {
    const registry = await loadDirectories([template({ users: [{ id: '1', login: 'a', password: 'inline' }] })], ctx());
    expect(JSON.stringify(registry.redactedConfig('demo'))).not.toContain('inline');
  });

  it('resolves a relative local-directory file against the data folder', async () => {
    const registry = await loadDirectories([{ id: 'local', plugin: 'local-directory', config: { file: 'env:DIR_FILE' } }], ctx({ DIR_FILE: 'missing.json' }));
    const health = await registry.get('local')!.adapter.testConnection();
    expect(health.message).toContain(join(tmp, 'missing.json'));
    expect(registry.redactedConfig('local')).toEqual({ file: '••••', historySize: 0 });
  });
});
