import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';

export async function load(url: string, seconds: number, connections = 64) {
  const r = await autocannon({ url, connections, duration: seconds, workers: 1 });
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, statuses: Object.keys(r.statusCodeStats ?? {}).join(' ') };
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
