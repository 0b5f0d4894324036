import type { AddressInfo } from 'node:net';
import express from 'express';

/** A bare Express 5 app serving the bytes and headers the product answered for `url`: the page's yardstick. */
export async function bareTwin(url: string): Promise<{ url: string; bytes: number; close: () => void }> {
  const page = await fetch(url);
  const body = await page.text();
  const headers = Object.fromEntries([...page.headers].filter(([k]) => !['content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding'].includes(k)));
  const bare = express();
  bare.get('/page', (_req, res) => res.set(headers).send(body));
  const server = bare.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`, bytes: body.length, close: () => server.close() };
}
