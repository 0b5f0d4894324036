// Profiles the hosted page GET and reset issuing: `node --cpu-prof --import tsx bench/profile.ts`,
// then open the .cpuprofile in Chrome DevTools. Smaller than `npm run bench`, for finding hot spots.
import { rmSync } from 'node:fs';
import { buildFixture } from './fixtures.js';
import { load, pool } from './measure.js';
import { benchAdmin, startBenchServer } from './server.js';
import { startSink } from './sink.js';

const fixture = await buildFixture(Number(process.env.BENCH_ACCOUNTS ?? 20_000), 400);
const sink = await startSink();
const { port, running } = await startBenchServer(fixture.dataDir, sink.port);
const issue = (i: number) => {
  const a = fixture.accounts[i % fixture.accounts.length]!;
  return running.services.reset.issue(benchAdmin(a.partnerId), a.customerId, a.id, { ip: '127.0.0.1', userAgent: 'bench' });
};
await issue(0);
await sink.waitForCount(1, 10_000);
const what = process.env.PROFILE ?? 'page,issue';
if (what.includes('page')) {
  const r = await load(sink.links[0]!, Number(process.env.BENCH_SECONDS ?? 5));
  process.stdout.write(`page: ${JSON.stringify(r)}\n`);
}
if (what.includes('issue')) {
  const started = performance.now();
  await pool(Array.from({ length: 3000 }, (_, i) => i + 1), 32, async (i) => { await issue(i); });
  process.stdout.write(`issue: ${Math.round(3000 / ((performance.now() - started) / 1000))}/s\n`);
}
await running.close();
await sink.close();
rmSync(fixture.dataDir, { recursive: true, force: true });
process.exit(0);
