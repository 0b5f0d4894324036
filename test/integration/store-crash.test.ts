import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KILLS = Number(process.env.CRASH_KILLS ?? 200);
const here = path.dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(path.join(os.tmpdir(), 'rb-crash-'));
// Inside the project, so the bundle's bare imports (lowdb) resolve from its node_modules.
const bundle = path.join(here, '../../node_modules/.cache', path.basename(work), 'server.mjs');
const dataDir = path.join(work, 'data');

// One bundle up front: 200 starts through a TypeScript loader would cost most of the time budget.
beforeAll(async () => {
  await build({
    entryPoints: [path.join(here, 'store-crash-server.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile: bundle, packages: 'external', logLevel: 'silent',
  });
}, 60_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(path.dirname(bundle), { recursive: true, force: true });
});

async function start(): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, [bundle, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the store server stopped (${code}): ${err}`)));
  });
  return { child, port, stderr: () => err };
}

/** Kills the server; one that stopped on its own fails the test with what it printed. */
function kill(child: ChildProcess, stderr: () => string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the store server stopped on its own (${child.exitCode ?? child.signalCode}): ${stderr()}`);
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

// A request the server never answers ends the round instead of the whole run's time budget.
const post = (url: string, body?: string) => fetch(url, { method: 'POST', ...(body !== undefined ? { body } : {}), signal: AbortSignal.timeout(20_000) });

/** Every snapshot parses whole; every journal line parses, but for an unterminated tail that reopening cuts off. */
function checkFiles(): { files: number; tornTails: number; foldsCutShort: number } {
  const dir = path.join(dataDir, 'store');
  let tornTails = 0;
  let files = 0;
  let foldsCutShort = 0;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue; // a half-written snapshot that was never renamed into place
    const text = readFileSync(path.join(dir, name), 'utf8');
    files++;
    if (name.endsWith('.json')) JSON.parse(text);
    else if (name.endsWith('.jsonl') || name.endsWith('.jsonl.old')) {
      const end = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(0, end).split('\n')) if (line) JSON.parse(line);
      if (end < text.length) tornTails++;
      if (name.endsWith('.old')) foldsCutShort++;
    }
  }
  return { files, tornTails, foldsCutShort };
}

describe('the embedded store killed with SIGKILL during writes', () => {
  it(`keeps every write it had answered, and every file parses, across ${KILLS} kills at random moments`, async () => {
    const acked: number[] = [];
    let next = 0;
    let foldsCutShort = 0;
    const started = performance.now();
    for (let round = 0; round < KILLS; round++) {
      const { child, port, stderr } = await start();
      if (acked.length) {
        const res = await post(`http://127.0.0.1:${port}/missing`, acked.join(','));
        expect({ round, missing: await res.json() }).toEqual({ round, missing: [] });
      }
      let alive = true;
      const writers = Array.from({ length: 8 }, async () => {
        while (alive) {
          const n = next++;
          const ok = await post(`http://127.0.0.1:${port}/write?n=${n}`).then((r) => r.ok, () => false);
          if (ok && alive) acked.push(n);
          if (!ok) return;
        }
      });
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 120));
      // An answer that arrives after this point is not counted: the kill may have beaten its write.
      alive = false;
      await kill(child, stderr);
      await Promise.all(writers);
      const files = checkFiles();
      foldsCutShort += files.foldsCutShort;
    }
    const { child, port, stderr } = await start();
    const res = await post(`http://127.0.0.1:${port}/missing`, acked.join(','));
    expect(await res.json()).toEqual([]);
    await kill(child, stderr);
    expect(existsSync(path.join(dataDir, 'store', 'resets.json'))).toBe(true);
    // The run proves something only if writes were answered in most rounds.
    expect(acked.length).toBeGreaterThan(KILLS);
    process.stdout.write(`store crash test: ${KILLS} kills, ${acked.length} answered writes kept, ${foldsCutShort} journals found mid-compaction, ${Math.round((performance.now() - started) / 1000)} s\n`);
  }, 480_000); // 200 process starts: about a minute alone, four or more beside the rest of the suite on 2 cores
});
