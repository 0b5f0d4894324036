// `npm run bench:page`: hosted page vs bare Express only (phase 1 of `npm run bench`) on a smaller
// fixture, for quick before/after checks. The first round warms the JIT up; compare the later ones.
import { rmSync } from 'node:fs';
import { bareTwin } from './bare.js';
import { buildFixture } from './fixtures.js';
import { load } from './measure.js';
import { benchAdmin, startBenchServer } from './server.js';
import { startSink } from './sink.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const fixture = await buildFixture(Number(process.env.BENCH_ACCOUNTS ?? 20_000), 400);
const sink = await startSink();
const { running } = await startBenchServer(fixture.dataDir, sink.port);
const a = fixture.accounts[0]!;
await running.services.reset.issue(benchAdmin(a.partnerId), a.customerId, a.id, { ip: '127.0.0.1', userAgent: 'bench' });
await sink.waitForCount(1, 10_000);
const link = sink.links[0]!;
const bare = await bareTwin(link);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
for (let i = 0; i < rounds; i++) {
  const hosted = await load(link, SECONDS);
  const bareRun = await load(bare.url, SECONDS);
  process.stdout.write(`round ${i + 1}${i === 0 ? ' (warm-up)' : ''}\nhosted ${JSON.stringify(hosted)}\nbare   ${JSON.stringify(bareRun)}\nratio ${(hosted.rps / bareRun.rps).toFixed(2)}, by CPU per request ${(bareRun.cpuUsPerRequest / hosted.cpuUsPerRequest).toFixed(2)} (${bare.bytes} bytes)\n`);
}
bare.close();
await running.close();
await sink.close();
rmSync(fixture.dataDir, { recursive: true, force: true });
process.exit(0);
