import { rmSync } from 'node:fs';
import { buildFixture } from './fixtures.js';
import { benchAdmin, startBenchServer } from './server.js';
import { startSink } from './sink.js';

/** A fixture, the SMTP sink, the product on them, and one reset link as mailed: what the page benches open. */
export async function pageWithLink(accounts: number) {
  const fixture = await buildFixture(accounts, 400);
  const sink = await startSink();
  const { running } = await startBenchServer(fixture.dataDir, sink.port);
  const a = fixture.accounts[0]!;
  await running.services.reset.issue(benchAdmin(a.partnerId), a.customerId, a.id, { ip: '127.0.0.1', userAgent: 'bench' });
  await sink.waitForCount(1, 10_000);
  return {
    running,
    link: sink.links[0]!,
    async close() {
      await running.close();
      await sink.close();
      rmSync(fixture.dataDir, { recursive: true, force: true });
    },
  };
}
