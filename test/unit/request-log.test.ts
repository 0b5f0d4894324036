import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { pino, type Level } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { httpLog, loggablePath } from '../../src/observability/http-log.js';

interface Line { level: number; msg: string; reqId: string; req: { id: string; method: string; path: string }; res: { statusCode: number }; responseTime: number }

/** A real server with the request log in front of a few routes, logging into an array. */
async function serve(level: Level) {
  const lines: Line[] = [];
  const app = express();
  app.use(httpLog(pino({ level }, { write: (l: string) => void lines.push(JSON.parse(l) as Line) })));
  app.get('/healthz', (_req, res) => res.send('ok'));
  app.get('/reset/:token', (_req, res) => res.status(200).send('form'));
  app.get('/boom', () => {
    throw new Error('broken');
  });
  app.get('/slow', () => { /* never answers: the client gives up */ });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { lines, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Lines are written when the response has gone out, which can be just after the client has it. */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !done() && Date.now() < deadline;) await sleep(10);
}
let running: Server | undefined;
afterEach(() => {
  running?.closeAllConnections();
  running?.close();
});

describe('request log', () => {
  it('writes one line per request at a level that follows the outcome, with the token cut out of the path', async () => {
    const { lines, url, server } = await serve('info');
    running = server;
    const token = 'T'.repeat(43);
    const ok = await fetch(`${url}/reset/${token}?lang=ja`, { headers: { 'x-request-id': 'given-id-12345' } });
    expect(ok.headers.get('x-request-id')).toBe('given-id-12345');
    await fetch(`${url}/nowhere`);
    await fetch(`${url}/boom`);
    await until(() => lines.length >= 3);
    expect(lines.map((l) => [l.msg, l.level, l.res.statusCode])).toEqual([
      ['request completed', 30, 200], ['request completed', 40, 404], ['request errored', 50, 500],
    ]);
    expect(lines[0]).toMatchObject({ reqId: 'given-id-12345', req: { id: 'given-id-12345', method: 'GET', path: '/reset/[token]' } });
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(JSON.stringify(lines)).not.toContain('lang=ja');
  });

  it('cuts a reset token out of a path written in any case or as a whole URL, and keeps the code form as it is', () => {
    expect(loggablePath('/reset/AbC123?lang=de')).toBe('/reset/[token]');
    expect(loggablePath('/Reset/AbC123')).toBe('/reset/[token]');
    expect(loggablePath('http://evil.example:80/RESET/AbC123/x')).toBe('/reset/[token]/x');
    expect(loggablePath('/reset/code')).toBe('/reset/code');
    expect(loggablePath('/reset/Code/')).toBe('/reset/Code/');
    expect(loggablePath('/admin/customers?q=someone@example.com')).toBe('/admin/customers');
  });

  it('gives every request an id of its own when the caller sends none or a malformed one', async () => {
    const { lines, url, server } = await serve('info');
    running = server;
    const a = await fetch(`${url}/reset/x`, { headers: { 'x-request-id': 'bad id\twith tab' } });
    const b = await fetch(`${url}/reset/x`);
    await until(() => lines.length >= 2);
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(lines.map((l) => l.reqId)).toEqual(ids);
  });

  it('warns about a request the client gave up on before the answer', async () => {
    const { lines, url, server } = await serve('info');
    running = server;
    const gaveUp = new AbortController();
    const pending = fetch(`${url}/slow`, { signal: gaveUp.signal }).catch(() => 'aborted');
    await sleep(50);
    gaveUp.abort();
    expect(await pending).toBe('aborted');
    await until(() => lines.length >= 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request aborted', level: 40, req: { path: '/slow' } });
  });

  it('leaves out health checks, and writes nothing below its level', async () => {
    const quiet = await serve('info');
    running = quiet.server;
    await fetch(`${quiet.url}/healthz`);
    await fetch(`${quiet.url}/reset/x`);
    await until(() => quiet.lines.length >= 1);
    expect(quiet.lines.map((l) => l.req.path)).toEqual(['/reset/[token]']);
    quiet.server.close();

    const warnOnly = await serve('warn');
    running = warnOnly.server;
    await fetch(`${warnOnly.url}/reset/x`);
    await fetch(`${warnOnly.url}/nowhere`);
    await until(() => warnOnly.lines.length >= 1);
    await sleep(50);
    expect(warnOnly.lines.map((l) => l.res.statusCode)).toEqual([404]);
  });
});
