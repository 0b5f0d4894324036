// Fetching a logo from an https address, against a real TLS server with a certificate of its own.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchLogo, LOGO_MAX_BYTES } from '../../src/services/logo.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

let server: https.Server;
let base: string;
let ca: string;

/** fetch over node:https trusting the test server's certificate (global fetch takes no CA). */
const trustingFetch = ((input: URL | string, init?: RequestInit) => new Promise<Response>((resolve, reject) => {
  const req = https.get(String(input), { ca, signal: init?.signal ?? undefined }, (res) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
    resolve(new Response(Readable.toWeb(res) as ReadableStream, { status: res.statusCode ?? 500, headers }));
  });
  req.on('error', reject);
})) as typeof fetch;

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  ca = pems.cert;
  server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    if (req.url === '/logo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else if (req.url === '/moved') res.writeHead(302, { location: '/logo.png' }).end();
    // No Content-Length: the limit must hold while the body streams in.
    else if (req.url === '/endless') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => clearInterval(timer));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('fetching a logo from an address', () => {
  it('takes the bytes of an https answer', async () => {
    const r = await fetchLogo(`${base}/logo.png`, { fetch: trustingFetch });
    expect(r.ok && r.bytes.equals(PNG)).toBe(true);
  });

  it('stops reading one chunk past the limit when the server sends no length', async () => {
    const r = await fetchLogo(`${base}/endless`, { fetch: trustingFetch });
    expect(!r.ok && r.message).toContain(`larger than ${LOGO_MAX_BYTES / 1024} KB`);
  });

  it('does not follow a redirect, and says what the address answered', async () => {
    const moved = await fetchLogo(`${base}/moved`, { fetch: trustingFetch });
    expect(!moved.ok && moved.message).toContain('status 302');
    const missing = await fetchLogo(`${base}/nothing`, { fetch: trustingFetch });
    expect(!missing.ok && missing.message).toContain('status 404');
  });

  it('refuses a certificate it cannot verify with the default fetch', async () => {
    const r = await fetchLogo(`${base}/logo.png`);
    expect(!r.ok && r.message).toContain('no valid https certificate');
  });
});
