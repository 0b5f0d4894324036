// Out-of-band links: a client with `resets:link`, for a partner that allows it, gets the reset link
// back instead of a mail, to deliver it by the platform's own channel. The link then exists only in
// that one answer: not in a mail, the audit chain, the logs, the idempotency cache or any data file.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, ApiScope } from '../../src/domain/types.js';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';
import { apiClient, type Api } from './api-fixture.js';

const TOKEN_IN_LINK = /\/reset\/([A-Za-z0-9_-]{43})$/;

/** Every file under a directory, as text. */
function filesUnder(dir: string): Array<{ file: string; text: string }> {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [{ file, text: readFileSync(file, 'latin1') }];
  });
}

/** Every table of the test schema whose rows, as text, contain `needle`. */
async function tablesHolding(schema: TestSchema, needle: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: schema.url });
  await client.connect();
  try {
    const tables = (await client.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1', [schema.schema])).rows;
    const holding: string[] = [];
    for (const { t } of tables) {
      const { rows } = await client.query(`SELECT 1 FROM ${schema.schema}."${t}" x WHERE strpos(x::text, $1) > 0 LIMIT 1`, [needle]);
      if (rows.length) holding.push(t);
    }
    return holding;
  } finally {
    await client.end();
  }
}

/** An API client as the IdP admin's page makes it (id, SHA-256 of a 32-byte secret), put straight into the store. */
async function clientFor(product: Product, name: string, scopes: ApiScope[], partnerId?: string): Promise<Api> {
  const id = `rbc_${randomBytes(10).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  await product.store.saveApiClient({
    id, name, scopes, ...(partnerId ? { partnerId } : {}), secretHash: createHash('sha256').update(secret).digest('hex'),
    createdAt: new Date().toISOString(), createdBy: 'operator:test',
  });
  return apiClient(product, `${id}.${secret}`);
}

const stores = [
  { name: 'the embedded store', postgres: false },
  ...(databaseUrl ? [{ name: 'PostgreSQL', postgres: true }] : []),
];

describe.each(stores)('reset links returned over the API, on $name', ({ postgres }) => {
  let product: Product;
  let schema: TestSchema | undefined;
  /** Unrestricted: may change partners. */
  let platform: Api;
  /** Contoso's client with resets:link. */
  let linker: Api;
  /** Contoso's client without it. */
  let mailer: Api;

  beforeAll(async () => {
    schema = postgres ? await freshSchema() : undefined;
    product = await startProduct({}, schema ? { databaseUrl: schema.url } : {});
    platform = await clientFor(product, 'Platform', ['tenants:write']);
    linker = await clientFor(product, 'Contoso links', ['resets:write', 'resets:link'], 'contoso');
    mailer = await clientFor(product, 'Contoso mails', ['resets:write'], 'contoso');
  });
  afterAll(async () => {
    await product?.stop();
    await schema?.drop();
  });

  let next = 0;
  async function freshAccount(partnerId = 'contoso'): Promise<Account> {
    const customers = (await product.store.listCustomers(partnerId, { page: 1, pageSize: 100 })).items;
    return (await product.store.listAccounts(partnerId, customers[next++]!.id))[0]!;
  }
  const mailsTo = (email: string) => product.smtp.messages.filter((m) => recipient(m).includes(email));
  const setLinks = (allowed: boolean | null) => platform('PATCH', '/partners/contoso', { outOfBandLinks: allowed });

  it('refuses a client without the scope resets:link with 403, and issues nothing', async () => {
    await setLinks(true);
    const account = await freshAccount();
    const res = await mailer('POST', `/partners/contoso/accounts/${account.id}/resets`, { delivery: 'link' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toBe('https://resetbridge.dev/problems/insufficient-scope');
    expect(res.headers.get('www-authenticate')).toContain('scope="resets:link"');
    expect(await product.store.listResets('contoso', account.id)).toEqual([]);
  });

  it('refuses a link for a partner that does not allow it, with a stable problem type, and issues nothing', async () => {
    expect((await setLinks(null)).body.outOfBandLinks).toBeUndefined();
    const account = await freshAccount();
    const res = await linker('POST', `/partners/contoso/accounts/${account.id}/resets`, { delivery: 'link' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: 'https://resetbridge.dev/problems/out-of-band-not-allowed', status: 403 });
    expect(res.body.detail).toContain('outOfBandLinks');
    expect(await product.store.listResets('contoso', account.id)).toEqual([]);
  });

  it('keeps the partner setting in the store, and only an unrestricted client may change it', async () => {
    const allowed = await setLinks(true);
    expect(allowed.status).toBe(200);
    expect(allowed.body.outOfBandLinks).toBe(true);
    expect((await product.store.getPartner('contoso'))?.outOfBandLinks).toBe(true);
    expect((await platform('GET', '/partners/contoso')).body.outOfBandLinks).toBe(true);
    const own = await clientFor(product, 'Contoso tenants', ['tenants:write'], 'contoso');
    expect((await own('PATCH', '/partners/contoso', { outOfBandLinks: false })).status).toBe(403);
    expect((await product.store.getPartner('contoso'))?.outOfBandLinks).toBe(true);
  });

  it('returns a working link with 201 when allowed, mails nothing, and audits it as out of band without the link', async () => {
    await setLinks(true);
    const account = await freshAccount();
    const res = await linker('POST', `/partners/contoso/accounts/${account.id}/resets`, { delivery: 'link' });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/resets/${res.body.id}`);
    expect(res.body).toMatchObject({ accountId: account.id, status: 'issued', link: { url: expect.stringMatching(TOKEN_IN_LINK), expiresAt: res.body.expiresAt } });
    const link: string = res.body.link.url;
    expect(link.startsWith(`${product.url}/reset/`)).toBe(true);

    // A mailed reset issued afterwards arrives; by then a mail for the first account would have too.
    const witness = await freshAccount();
    expect((await mailer('POST', `/partners/contoso/accounts/${witness.id}/resets`)).status).toBe(202);
    await resetLinkFor(product, witness.email);
    expect(mailsTo(account.email)).toEqual([]);

    const browser = new HttpClient();
    expect((await browser.get(link)).status).toBe(200);
    const done = await submitPassword(browser, link, 'amber harbour 42 compass');
    expect(done.text).toContain('Your password has been changed.');

    const token = TOKEN_IN_LINK.exec(link)![1]!;
    const issued = (await product.store.listAudit('contoso')).find((e) => e.type === 'reset.issued' && e.detail?.resetId === res.body.id);
    expect(issued?.detail).toMatchObject({ delivery: 'out-of-band' });
    expect(issued?.actor).toContain('api-client:');
    expect(JSON.stringify(await product.store.listAudit('contoso'))).not.toContain(token);
    expect(product.logLines.join('\n')).not.toContain(token);
  });

  it('answers a retry with the same Idempotency-Key with a problem instead of the link, which is kept nowhere', async () => {
    await setLinks(true);
    const account = await freshAccount();
    const headers = { 'idempotency-key': `link-${account.id}` };
    const first = await linker('POST', `/partners/contoso/accounts/${account.id}/resets`, { delivery: 'link' }, headers);
    expect(first.status).toBe(201);
    const token = TOKEN_IN_LINK.exec(first.body.link.url)![1]!;

    const retry = await linker('POST', `/partners/contoso/accounts/${account.id}/resets`, { delivery: 'link' }, headers);
    expect(retry.status).toBe(409);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.type).toBe('https://resetbridge.dev/problems/link-not-replayed');
    expect(retry.body.detail).toContain(first.body.id);
    expect(retry.text).not.toContain(token);
    // Still the one reset: the retry issued nothing.
    expect(await product.store.listResets('contoso', account.id)).toHaveLength(1);

    const holders = schema
      ? await tablesHolding(schema, token)
      : filesUnder(product.dataDir).filter((f) => f.text.includes(token)).map((f) => f.file);
    expect(holders).toEqual([]);
  });

  it('still mails the link when the body is left out or asks for mail, and never returns it then', async () => {
    await setLinks(true);
    for (const body of [undefined, { delivery: 'mail' }]) {
      const account = await freshAccount();
      const res = await linker('POST', `/partners/contoso/accounts/${account.id}/resets`, body);
      expect(res.status, res.text).toBe(202);
      expect(res.body.link).toBeUndefined();
      expect(res.text).not.toMatch(/\/reset\/[A-Za-z0-9_-]{43}/);
      await resetLinkFor(product, account.email);
    }
  });

  it("answers 404 to a partner-restricted client asking for a link to another partner's account", async () => {
    await platform('PATCH', '/partners/northwind', { outOfBandLinks: true });
    const account = await freshAccount('northwind');
    const res = await linker('POST', `/partners/northwind/accounts/${account.id}/resets`, { delivery: 'link' });
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('/reset/');
    expect(await product.store.listResets('northwind', account.id)).toEqual([]);
  });
});
