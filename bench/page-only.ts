// `npm run bench:page`: hosted page vs bare Express only (phase 1 of `npm run bench`) on a smaller
// fixture, for quick before/after checks. The first round warms the JIT up; compare the later ones.
import { bareTwin } from './bare.js';
import { load } from './measure.js';
import { pageWithLink } from './page-link.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const { link, close } = await pageWithLink(Number(process.env.BENCH_ACCOUNTS ?? 20_000));
const bare = await bareTwin(link);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
for (let i = 0; i < rounds; i++) {
  const hosted = await load(link, SECONDS);
  const bareRun = await load(bare.url, SECONDS);
  process.stdout.write(`round ${i + 1}${i === 0 ? ' (warm-up)' : ''}\nhosted ${JSON.stringify(hosted)}\nbare   ${JSON.stringify(bareRun)}\nratio ${(hosted.rps / bareRun.rps).toFixed(2)}, by CPU per request ${(bareRun.cpuUsPerRequest / hosted.cpuUsPerRequest).toFixed(2)} (${bare.bytes} bytes)\n`);
}
bare.close();
await close();
process.exit(0);
