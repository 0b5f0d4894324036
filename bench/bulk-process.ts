import type { Account } from '../src/domain/types.js';
import { ApiClientService } from '../src/services/api-clients.js';
import { AuditLog } from '../src/services/audit.js';
import { LowdbStore } from '../src/store/lowdb/index.js';
import { freePort } from '../test/support/product.js';
import { pool } from './measure.js';
import { rssMb, spawnProduct, stopProduct, waitReady } from './product-process.js';
import type { startSink } from './sink.js';

/**
 * Bulk mail with the product as its own process, so its memory is measured alone (the in-process
 * phase's RSS also holds the sink, the fixture and the load generator): an API client made in the
 * stopped product's store (as `resetbridge clients create` does), then `count` resets through
 * POST /api/v1/…/resets, 32 at a time, until the sink has every mail. RSS sampled every 100 ms.
 */
export async function bulkMailAsProcess(dataDir: string, sink: Awaited<ReturnType<typeof startSink>>, accounts: Account[], count: number) {
  const store = await LowdbStore.open(dataDir);
  const clock = { now: () => new Date() };
  const { token } = await new ApiClientService({ store, audit: new AuditLog(store, clock), clock })
    .create({ operator: 'bench' }, { name: 'bench', scopes: ['resets:write'] });
  await store.close();

  const port = await freePort();
  const { child } = spawnProduct(dataDir, port, sink.port);
  try {
    await waitReady(port, child);
    const rssReadyMb = rssMb(child.pid!);
    let peakMb = rssReadyMb;
    const sampler = setInterval(() => {
      if (child.exitCode === null) peakMb = Math.max(peakMb, rssMb(child.pid!));
    }, 100);
    const before = sink.count;
    const started = performance.now();
    let refused = 0;
    await pool(Array.from({ length: count }, (_, i) => i), 32, async (i) => {
      const a = accounts[(i * 7919) % accounts.length]!;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/partners/${a.partnerId}/accounts/${a.id}/resets`, {
        method: 'POST', headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 202) refused++;
      await res.arrayBuffer();
    });
    const issueSeconds = (performance.now() - started) / 1000;
    const allDelivered = refused === 0 && await sink.waitForCount(before + count, 300_000);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    return { count, refused, allDelivered, issueSeconds: +issueSeconds.toFixed(1), seconds: +seconds.toFixed(1), rssReadyMb, peakRssMb: peakMb };
  } finally {
    await stopProduct(child);
  }
}
