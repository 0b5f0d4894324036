import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Starts the product as `npm start` would, on a prepared data folder; time to /readyz 200 and RSS then. */
export async function coldStart(dataDir: string, port: number, smtpPort: number) {
  const config = path.join(dataDir, 'bench.yaml');
  writeFileSync(config, [
    `server: { host: 127.0.0.1, port: ${port}, publicUrl: "http://127.0.0.1:${port}" }`,
    `dataDir: ${JSON.stringify(dataDir)}`,
    `mail: { transport: { type: smtp, host: 127.0.0.1, port: ${smtpPort} } }`,
    'directories: [{ id: bench-directory, plugin: local-directory, config: { file: directory.json } }]',
    'log: { level: warn, pretty: false }',
  ].join('\n'));
  const compiled = existsSync('dist/src/main.js');
  const args = compiled ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const started = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, RESETBRIDGE_CONFIG: config, NODE_ENV: 'test' }, stdio: 'ignore' });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (performance.now() - started > 60_000) throw new Error('no /readyz within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = Math.round(performance.now() - started);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
    return { ms, rssMb: Math.round(rssKb / 1024), runtime: compiled ? 'node dist' : 'tsx' };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
