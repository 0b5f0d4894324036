// The licensing platform keeps partners, companies and accounts in step through the API: upserts by
// its own ids, bulk calls with per-record outcomes, soft deletes the consoles honour, replayable POSTs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { signInAsAdmin } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { apiClient, createClient, signInAsIdpAdmin, type Api } from './api-fixture.js';

let product: Product;
let api: Api;
let alice: HttpClient;

beforeAll(async () => {
  product = await startProduct();
  const dana = await signInAsIdpAdmin(product);
  api = apiClient(product, (await createClient(product, dana, { name: 'Platform', scopes: ['tenants:write', 'resets:write', 'resets:read'] })).token);
  ({ client: alice } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo'));
});
afterAll(async () => {
  await product?.stop();
});

const problemType = (slug: string) => `https://resetbridge.dev/problems/${slug}`;

describe('provisioning over the API', () => {
  it('upserts a company by external id: the first PUT creates it, the same PUT again changes nothing else', async () => {
    const body = { name: 'Upsert Industries', country: 'Norway', directory: { instance: 'demo-directory', mapping: 'login' } };
    const first = await api('PUT', '/partners/northwind/customers/by-external-id/plat-c-1', body);
    expect(first.status).toBe(201);
    const second = await api('PUT', '/partners/northwind/customers/by-external-id/plat-c-1', body);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const found = await api('GET', '/partners/northwind/customers?externalId=plat-c-1');
    expect(found.body.items).toEqual([first.body]);

    // Absent fields stay, null removes one.
    const renamed = await api('PUT', '/partners/northwind/customers/by-external-id/plat-c-1', { name: 'Upsert Industries AS', country: null });
    expect(renamed.body).toMatchObject({ id: first.body.id, name: 'Upsert Industries AS', directory: body.directory });
    expect(renamed.body.country).toBeUndefined();
    const audit = (await product.store.listAudit('northwind')).filter((e) => e.target === `customer:${first.body.id}`).map((e) => e.type);
    expect(audit).toEqual(['api.customer.created', 'api.customer.updated', 'api.customer.updated']);
  });

  it('replays a POST with the same Idempotency-Key and body, and refuses the key with another body', async () => {
    const key = randomUUID();
    const body = { name: 'Idempotent GmbH', externalId: `idem-${key}` };
    const first = await api('POST', '/partners/northwind/customers', body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const replay = await api('POST', '/partners/northwind/customers', body, { 'idempotency-key': key });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await product.store.pageCustomers('northwind', { limit: 10, externalIds: [body.externalId] })).items).toHaveLength(1);

    const other = await api('POST', '/partners/northwind/customers', { ...body, name: 'Another GmbH' }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe(problemType('idempotency-key-reused'));
    // Without a key, a second POST is a second company (and here a taken external id).
    expect((await api('POST', '/partners/northwind/customers', body)).status).toBe(409);
  });

  it('applies the good records of a bulk call, and reports each bad one with where it is wrong', async () => {
    const records = [
      { externalId: 'bulk-1', name: 'Bulk One' },
      { externalId: 'bulk-2' },
      { externalId: 'bulk-3', name: 'Bulk Three', directory: { instance: 'no-such-directory', mapping: 'login' } },
      { externalId: 'bulk-4', name: 'Bulk Four', country: 'Chile' },
      { externalId: 'bulk-1', name: 'Bulk One again' },
      'not a record',
    ];
    const res = await api('POST', '/partners/northwind/customers/bulk', { records });
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ created: 2, updated: 0, restored: 0, failed: 4 });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'failed', 'failed', 'created', 'failed', 'failed']);
    expect(res.body.results[1].errors).toEqual([{ path: '/body/records/1/name', message: expect.any(String) }]);
    expect(res.body.results[2].errors[0].path).toBe('/body/records/2/directory/instance');
    expect(res.body.results[4].errors[0].message).toContain('record 0');
    const stored = await product.store.pageCustomers('northwind', { limit: 10, externalIds: ['bulk-1', 'bulk-2', 'bulk-3', 'bulk-4'] });
    expect(stored.items.map((c) => c.name).sort()).toEqual(['Bulk Four', 'Bulk One']);

    const accounts = await api('POST', '/partners/northwind/accounts/bulk', { records: [
      { externalId: 'pa-1', customerExternalId: 'bulk-1', name: 'Ana Bulk', login: 'ana.bulk', email: 'ana@bulk.example' },
      { externalId: 'pa-2', customerExternalId: 'bulk-2', name: 'Ben Bulk', login: 'ben.bulk', email: 'ben@bulk.example' },
      { externalId: 'pa-3', customerExternalId: 'bulk-4', name: 'Cy Bulk', login: 'cy.bulk', email: 'not an email' },
      { externalId: 'pa-4', customerExternalId: 'bulk-4', name: 'Di Bulk', login: 'di.bulk', email: 'di@bulk.example' },
    ] });
    expect(accounts.body.summary).toEqual({ created: 2, updated: 0, restored: 0, failed: 2 });
    expect(accounts.body.results[1].errors[0]).toEqual({ path: '/body/records/1/customerExternalId', message: expect.stringContaining('bulk-2') });
    expect(accounts.body.results[2].errors[0].path).toBe('/body/records/2/email');
    const companyId = stored.items.find((c) => c.name === 'Bulk Four')!.id;
    expect((await product.store.listAccounts('northwind', companyId)).map((a) => a.login)).toEqual(['di.bulk']);
    const events = (await product.store.listAudit('northwind')).filter((e) => e.type === 'api.accounts.bulk');
    expect(events.at(-1)?.detail).toEqual({ created: 2, updated: 0, restored: 0, failed: 2 });
  });

  it('takes 10,000 accounts in one call and answers each of them', async () => {
    const company = await api('PUT', '/partners/northwind/customers/by-external-id/big-co', { name: 'Big Co' });
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      externalId: `big-${i}`, customerId: company.body.id, name: `Person ${i}`, login: `person.${i}`, email: `person.${i}@big.example`,
    }));
    const started = Date.now();
    const res = await api('POST', '/partners/northwind/accounts/bulk', { records });
    const ms = Date.now() - started;
    expect(res.status).toBe(200);
    expect(res.body.summary.created).toBe(10_000);
    expect(res.body.results).toHaveLength(10_000);
    expect((await product.store.listAccounts('northwind', company.body.id)).length).toBe(10_000);
    const tooMany = await api('POST', '/partners/northwind/accounts/bulk', { records: [...records, records[0]] });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors[0].path).toBe('/body/records');
    // A second run is all updates.
    const again = await api('POST', '/partners/northwind/accounts/bulk', { records });
    expect(again.body.summary).toEqual({ created: 0, updated: 10_000, restored: 0, failed: 0 });
    console.info(`bulk upsert of 10,000 accounts (embedded store): ${ms} ms`);
  }, 60_000);

  it('walks a list page by page with the cursor, filters it, and refuses a forged cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; next: string | null } } = await api('GET', `/partners/contoso/customers?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((c) => c.id));
      cursor = page.body.next;
    } while (cursor);
    const all = (await product.store.listCustomers('contoso', { page: 1, pageSize: 1000 })).items.map((c) => c.id);
    expect(seen).toEqual([...all].sort());
    const forged = await api('GET', `/partners/contoso/customers?cursor=${Buffer.from('{"after":1}').toString('base64url')}`);
    expect(forged.status).toBe(422);
    const account = (await product.store.listAccounts('contoso', all[0]!))[0]!;
    const byEmail = await api('GET', `/partners/contoso/accounts?email=${encodeURIComponent(account.email.toUpperCase())}`);
    expect(byEmail.body.items.map((a: { id: string }) => a.id)).toContain(account.id);
  });

  it('answers problems as RFC 9457 documents with a stable type, and lists every invalid field', async () => {
    const res = await api('POST', '/partners/northwind/accounts', { name: '', login: 'x', email: 'nope', extra: 1 });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: problemType('validation'), title: expect.any(String), status: 422, detail: expect.any(String) });
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['/body', '/body/customerId', '/body/email', '/body/name']);

    const malformed = await api('POST', '/partners/northwind/customers', '{"name": "half');
    expect(malformed.status).toBe(400);
    expect(malformed.body.type).toBe(problemType('malformed-json'));
    const wrongType = await api('POST', '/partners/northwind/customers', undefined, { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const unknown = await api('GET', '/no/such/thing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe(problemType('not-found'));
    const domainTaken = await api('PATCH', '/partners/northwind', { domains: ['northwind-partners.example', 'contoso-reseller.example'] });
    expect(domainTaken.status).toBe(409);
    expect(domainTaken.body.type).toBe(problemType('conflict'));
  });

  it('soft-deletes an account and a company: gone from the console, no resets, open links revoked, back on upsert', async () => {
    const company = await api('PUT', '/partners/northwind/customers/by-external-id/doomed-co', { name: 'Doomed Co', directory: { instance: 'demo-directory', mapping: 'login' } });
    const account = await api('PUT', '/partners/northwind/accounts/by-external-id/doomed-1',
      { customerExternalId: 'doomed-co', name: 'Dee Doomed', login: 'dee.doomed', email: 'dee@doomed.example' });
    expect(account.status).toBe(201);
    const accountPath = `/admin/customers/${company.body.id}/accounts/${account.body.id}`;
    expect((await alice.get(product.url + accountPath)).status).toBe(200);
    const issued = await api('POST', `/partners/northwind/accounts/${account.body.id}/resets`);
    expect(issued.status).toBe(202);

    expect((await api('DELETE', `/partners/northwind/accounts/${account.body.id}`)).status).toBe(204);
    expect((await alice.get(product.url + accountPath)).status).toBe(404);
    expect((await api('GET', `/resets/${issued.body.id}`)).body.status).toBe('revoked');
    expect((await api('POST', `/partners/northwind/accounts/${account.body.id}/resets`)).status).toBe(404);
    expect((await api('GET', `/partners/northwind/accounts/${account.body.id}`)).status).toBe(404);
    const listed = await api('GET', `/partners/northwind/accounts?customerId=${company.body.id}&includeDeleted=true`);
    expect(listed.body.items[0]).toMatchObject({ id: account.body.id, deletedAt: expect.any(String) });
    expect((await product.store.listAudit('northwind')).some((e) => e.type === 'api.account.deleted' && e.target === `account:${account.body.id}`)).toBe(true);

    const restored = await api('PUT', '/partners/northwind/accounts/by-external-id/doomed-1',
      { customerExternalId: 'doomed-co', name: 'Dee Doomed', login: 'dee.doomed', email: 'dee@doomed.example' });
    expect(restored.status).toBe(200);
    expect(restored.body.id).toBe(account.body.id);
    expect(restored.body.deletedAt).toBeUndefined();

    expect((await api('DELETE', `/partners/northwind/customers/${company.body.id}`)).status).toBe(204);
    const customers = await alice.get(`${product.url}/admin/customers?q=Doomed`);
    expect(customers.text).not.toContain('Doomed Co');
    expect((await alice.get(product.url + accountPath)).status).toBe(404);
  });
});
