// `npm run bench:page-parts`: where the hosted page's CPU time goes. Beside the product's page and
// bare Express, two Express apps built from the page's own pieces stop at later and later points
// and then send the page's bytes: after its middleware (security headers, cookies, language,
// browser id, CSRF token and cookie, no-store), and after opening the link as well (look-up, its
// limits, the durable audit event, the language). All alternate in rounds; the figures are the
// server's CPU time per request, medians. With `taskset` and two CPUs or more, this process runs
// on CPU 0 and the load generator on CPU 1, so the two do not take turns on one core.
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import cookieParser from 'cookie-parser';
import express, { type RequestHandler } from 'express';
import { csrf } from '../src/http/middleware/csrf.js';
import { requestContext } from '../src/http/middleware/context.js';
import { languageChoice, useLocale } from '../src/http/middleware/locale.js';
import { noStore, securityHeaders } from '../src/http/middleware/security.js';
import { bareTwin } from './bare.js';
import { load } from './measure.js';
import { pageWithLink } from './page-link.js';

const pinnable = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
if (pinnable && process.env.BENCH_PINNED !== '1') {
  const run = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  process.exit(run.status ?? 1);
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const { running, link, close } = await pageWithLink(Number(process.env.BENCH_ACCOUNTS ?? 20_000));
const token = new URL(link).pathname.split('/').pop()!;
const body = await (await fetch(link)).text();
const bare = await bareTwin(link);

/** The page's middleware as the product builds it (src/app.ts), then `then`, then the page's bytes. */
async function partsApp(then: RequestHandler): Promise<{ url: string; close: () => void }> {
  const protection = csrf({ secret: 'bench-only-secret-of-thirty-two-chars', secure: false });
  const choose = languageChoice({ secure: false });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/page', securityHeaders({ https: false, formTargets: [] }), cookieParser(), (req, res, next) => { choose(req, res); next(); },
    protection.browserId, protection.tokens, noStore, (_req, res, next) => { (res.locals.csrfToken as () => string)(); next(); }, then,
    (_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
    });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`, close: () => server.close() };
}

const middleware = await partsApp((_req, _res, next) => next());
const opening = await partsApp(async (req, res, next) => {
  const opened = await running.services.reset.open(token, requestContext(req));
  useLocale(req, res, opened.status === 'ok' ? opened.page.localePreferences : []);
  next();
});
const variants: Array<[string, string]> = [
  ['bare Express, the page\'s bytes and headers', bare.url],
  ['the page\'s middleware', middleware.url],
  ['its middleware and opening the link', opening.url],
  ['the hosted page', link],
];
const cpu = pinnable ? '1' : undefined;
const figures = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (const [, url] of variants) await load(url, 2, 64, { cpu });
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, url] of variants) figures.get(name)!.push((await load(url, SECONDS, 64, { cpu })).cpuUsPerRequest);
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const bareUs = median(figures.get(variants[0]![0])!);
process.stdout.write(`${pinnable ? 'server on CPU 0, load generator on CPU 1' : 'not pinned (no taskset or one CPU)'}; ${ROUNDS} rounds of ${SECONDS} s at 64 connections\n\n`);
process.stdout.write('| stops after | CPU per request (median) | rounds | bare ÷ this |\n| --- | --- | --- | --- |\n');
for (const [name, xs] of figures) process.stdout.write(`| ${name} | ${median(xs)} µs | ${xs.join(', ')} | ${(bareUs / median(xs)).toFixed(2)} |\n`);
bare.close();
middleware.close();
opening.close();
await close();
process.exit(0);
