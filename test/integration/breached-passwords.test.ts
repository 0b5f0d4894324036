import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pwnedPasswords } from '../../src/policy/pwned.js';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

const breachedPassword = 'sunflower castle 1987';
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex').toUpperCase();

/** A local range server speaking the Pwned Passwords protocol, padding included. */
let server: Server;
let rangeUrl: string;
const requested: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const prefix = (req.url ?? '').split('/').pop()!;
    const lines = ['0018A45C4D1DEF81644B54AB7F969B88D65:3', '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0'];
    if (sha1(breachedPassword).startsWith(prefix)) lines.push(`${sha1(breachedPassword).slice(5)}:4211`);
    // A padding line that matches a clean password's suffix with count 0 must not count.
    lines.push(`${sha1('padding only words 55').slice(5)}:0`);
    res.setHeader('content-type', 'text/plain');
    res.end(lines.join('\r\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rangeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/range/`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('breached-password look-up by k-anonymity', () => {
  it('finds a breached password while sending only a five-character hash prefix', async () => {
    const check = pwnedPasswords({ rangeUrl, timeoutMs: 2000 });
    expect(await check.check(breachedPassword)).toBe('breached');
    expect(await check.check('a perfectly fresh phrase 77')).toBe('clean');
    expect(await check.check('padding only words 55')).toBe('clean');
    for (const url of requested) expect(url).toMatch(/^\/range\/[0-9A-F]{5}$/);
  });

  it('answers unknown when the service cannot be reached', async () => {
    const check = pwnedPasswords({ rangeUrl: 'http://127.0.0.1:9/range/', timeoutMs: 500 });
    expect(await check.check('anything at all here')).toBe('unknown');
  });
});

describe('on the hosted page', () => {
  let product: Product;
  afterAll(async () => {
    await product?.stop();
  });

  async function linkFor(p: Product) {
    const { client } = await signInAsAdmin(p, 'bob@contoso-reseller.example', 'contoso-demo');
    const { items } = await p.store.listCustomers('contoso', { page: 1, pageSize: 1 });
    const account = (await p.store.listAccounts('contoso', items[0]!.id))[0]!;
    await resetThroughConsole(client, p, `/admin/customers/${items[0]!.id}/accounts/${account.id}`);
    return resetLinkFor(p, account.email);
  }

  it('refuses a breached password, and fails closed when so configured and the service is down', async () => {
    product = await startProduct({ policy: { breached: { enabled: true, rangeUrl, onError: 'reject', timeoutMs: 1000 } } } as never);
    const link = await linkFor(product);
    const user = new HttpClient();
    const res = await submitPassword(user, link, breachedPassword);
    expect(res.status).toBe(422);
    expect(res.text).toContain('appeared in a data breach');
    await new Promise((r) => server.close(r));
    const down = await submitPassword(user, link, 'a perfectly fresh phrase 77');
    expect(down.text).toContain('We could not check your password against known breaches just now');
    expect((await user.get(link)).status).toBe(200);
    await new Promise<void>((r) => server.listen(Number(new URL(rangeUrl).port), '127.0.0.1', () => r()));
    expect((await submitPassword(user, link, 'a perfectly fresh phrase 77')).text).toContain('Your password has been changed.');
  });
});
