import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const autocannonCli = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

/**
 * `seconds` of GETs at `connections` connections from autocannon in a process of its own, so the
 * load generator takes no CPU from the server measured. Also reports the CPU time this process
 * (the server under test, all its threads) spent per request answered: steadier than requests/s
 * on a shared machine, whose speed drifts within minutes.
 */
export function load(url: string, seconds: number, connections = 64, opts: { cpu?: string } = {}): Promise<{
  rps: number; p50: number; p99: number; non2xx: number; errors: number; statuses: string; cpuUsPerRequest: number;
}> {
  return new Promise((resolve, reject) => {
    const before = process.cpuUsage();
    const args = [autocannonCli, '--json', '-c', String(connections), '-d', String(seconds), url];
    // On a CPU of its own when asked (bench/page-parts.ts), so it does not take turns with the server.
    const child = opts.cpu ? spawn('taskset', ['-c', opts.cpu, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
    child.once('error', reject);
    child.once('close', (code) => {
      const cpu = process.cpuUsage(before);
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err.slice(-500)}`));
      const r = JSON.parse(out) as {
        requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; statusCodeStats?: Record<string, unknown>;
      };
      resolve({
        rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors,
        statuses: Object.keys(r.statusCodeStats ?? {}).join(' '), cpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, r.requests.total)),
      });
    });
  });
}

/** Event-loop delay of this process while `work` runs, in ms. */
export async function withLoopDelay<T>(work: () => Promise<T>): Promise<{ result: T; p99: number; max: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  try {
    const result = await work();
    return { result, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  } finally {
    h.disable();
  }
}

/** Samples this process's RSS every 100 ms while `work` runs. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  try {
    return { result: await work(), peakMb: Math.round(peak / 1048576) };
  } finally {
    clearInterval(t);
  }
}

export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}
