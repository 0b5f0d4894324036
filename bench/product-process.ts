import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchConfig } from './server.js';

/**
 * The product as `npm start` runs it (node dist, else tsx), as its own process on a prepared data
 * folder, with the bench's configuration (written as JSON, which the config loader reads as is).
 */
export function spawnProduct(dataDir: string, port: number, smtpPort: number): { child: ChildProcess; runtime: string } {
  const config = path.join(dataDir, 'bench.json');
  writeFileSync(config, JSON.stringify(benchConfig(dataDir, port, smtpPort)));
  const compiled = existsSync('dist/src/main.js');
  const args = compiled ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, args, { env: { ...process.env, RESETBRIDGE_CONFIG: config, NODE_ENV: 'test' }, stdio: 'ignore' });
  return { child, runtime: compiled ? 'node dist' : 'tsx' };
}

export async function waitReady(port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the product exited (${child.exitCode}) before /readyz`);
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return;
    if (performance.now() - started > timeoutMs) throw new Error(`no /readyz within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

/** The most RSS the process has had so far (the kernel's high-water mark). */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export async function stopProduct(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
