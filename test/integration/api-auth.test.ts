// Who may call the REST API: clients made on the IdP admin's page, their secret shown once, sent as
// a bearer token; scopes and a partner restriction decide what each client reaches.
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formFields, type HttpClient } from '../support/http-client.js';
import { signInAsAdmin } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { apiClient, createClient, signInAsIdpAdmin } from './api-fixture.js';

let product: Product;
let dana: HttpClient;

beforeAll(async () => {
  product = await startProduct();
  dana = await signInAsIdpAdmin(product);
});
afterAll(async () => {
  await product?.stop();
});

const problemType = (slug: string) => `https://resetbridge.dev/problems/${slug}`;

async function firstContosoIds() {
  const customer = (await product.store.listCustomers('contoso', { page: 1, pageSize: 1 })).items[0]!;
  const account = (await product.store.listAccounts('contoso', customer.id))[0]!;
  return { customer, account };
}

describe('API credentials', () => {
  it('answers 401 problem+json without credentials, with other schemes, and with a wrong or made-up secret', async () => {
    const { token, id } = await createClient(product, dana, { name: 'Auth probe', scopes: ['tenants:read'] });
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Basic ${Buffer.from(`${id}:${token.split('.')[1]}`).toString('base64')}` },
      { authorization: `Bearer ${id}.${'A'.repeat(43)}` },
      { authorization: `Bearer rbc_00000000000000000000.${token.split('.')[1]}` },
      { authorization: 'Bearer nonsense' },
    ];
    for (const headers of attempts) {
      const res = await apiClient(product)('GET', '/partners', undefined, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="resetbridge"/);
      expect(res.body).toMatchObject({ type: problemType('unauthorized'), status: 401, title: expect.any(String), detail: expect.any(String) });
    }
    expect((await apiClient(product, token)('GET', '/partners')).status).toBe(200);
  });

  it('shows the secret once, keeps only its hash, and never writes it to a log', async () => {
    const { token, id, page } = await createClient(product, dana, { name: 'Secret keeper', scopes: ['tenants:read'] });
    const secret = token.split('.')[1]!;
    expect(page).toContain(secret);
    expect((await dana.get(`${product.url}/idp-admin/api-clients`)).text).not.toContain(secret);
    const stored = await product.store.getApiClient(id);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    await apiClient(product, token)('GET', '/partners');
    await apiClient(product, `${id}.${'B'.repeat(43)}`)('GET', '/partners');
    expect(product.logLines.join('\n')).not.toContain(secret);
    expect(JSON.stringify(await product.store.listAudit())).not.toContain(secret);
  });

  it('refuses a revoked client, and after a rotation the old secret while the new one works', async () => {
    const { token, id } = await createClient(product, dana, { name: 'Short-lived', scopes: ['tenants:read'] });
    const list = await dana.get(`${product.url}/idp-admin/api-clients`);
    const rotateForm = `form[action="/idp-admin/api-clients/${id}/rotate"]`;
    const rotated = await dana.post(`${product.url}/idp-admin/api-clients/${id}/rotate`, formFields(list.text, rotateForm));
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    const root = parse(rotated.text);
    const newToken = `${root.querySelector('#api-client-id')!.text}.${root.querySelector('#api-client-secret')!.text}`;
    expect(newToken).not.toBe(token);
    expect((await apiClient(product, token)('GET', '/partners')).status).toBe(401);
    expect((await apiClient(product, newToken)('GET', '/partners')).status).toBe(200);

    const again = await dana.get(`${product.url}/idp-admin/api-clients`);
    const revoked = await dana.post(`${product.url}/idp-admin/api-clients/${id}/revoke`, formFields(again.text, `form[action="/idp-admin/api-clients/${id}/revoke"]`));
    expect(revoked.status).toBe(303);
    expect((await dana.follow(revoked)).text).toContain('was revoked');
    const res = await apiClient(product, newToken)('GET', '/partners');
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problemType('unauthorized'));
    const events = (await product.store.listAudit()).filter((e) => e.target === `api-client:${id}`).map((e) => e.type);
    expect(events).toEqual(['api-client.created', 'api-client.rotated', 'api-client.revoked']);
  });

  it('answers 403 insufficient-scope for an operation outside the client\'s scopes, and lets :write imply :read', async () => {
    const reader = apiClient(product, (await createClient(product, dana, { name: 'Reader', scopes: ['tenants:read'] })).token);
    const res = await reader('POST', '/partners/northwind/customers', { name: 'Nope Ltd' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: problemType('insufficient-scope'), status: 403 });
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect((await reader('GET', '/audit')).status).toBe(403);
    expect((await product.store.pageCustomers('northwind', { limit: 5, q: 'Nope Ltd' })).items).toEqual([]);

    const writer = apiClient(product, (await createClient(product, dana, { name: 'Writer', scopes: ['tenants:write'] })).token);
    expect((await writer('GET', '/partners/northwind/customers?limit=1')).status).toBe(200);
    expect((await writer('GET', '/resets/00000000-0000-4000-8000-000000000000')).status).toBe(403);
  });

  it("answers 404 for everything of another partner to a client restricted to one, as if it did not exist", async () => {
    const { token } = await createClient(product, dana, { name: 'Northwind only', scopes: ['tenants:write', 'resets:write', 'audit:read'], partnerId: 'northwind' });
    const northwindOnly = apiClient(product, token);
    const { customer, account } = await firstContosoIds();
    const probes: Array<[string, string, unknown?]> = [
      ['GET', '/partners/contoso'],
      ['GET', '/partners/contoso/customers'],
      ['GET', `/partners/contoso/customers/${customer.id}`],
      ['PATCH', `/partners/contoso/customers/${customer.id}`, { name: 'Taken over' }],
      ['DELETE', `/partners/contoso/customers/${customer.id}`],
      ['PUT', '/partners/contoso/customers/by-external-id/x-1', { name: 'Planted' }],
      ['POST', '/partners/contoso/customers/bulk', { records: [{ externalId: 'x-2', name: 'Planted' }] }],
      ['GET', `/partners/contoso/accounts/${account.id}`],
      ['POST', `/partners/contoso/accounts/${account.id}/resets`],
      ['GET', '/partners/nowhere'],
      ['GET', '/audit?partner=contoso'],
      // Its own partner's path with the other partner's ids.
      ['GET', `/partners/northwind/customers/${customer.id}`],
      ['POST', `/partners/northwind/accounts/${account.id}/resets`],
    ];
    for (const [method, path, body] of probes) {
      const res = await northwindOnly(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.type).toBe(problemType('not-found'));
      expect(res.text).not.toContain(customer.name);
    }
    expect((await northwindOnly('GET', '/partners')).body.items.map((p: { id: string }) => p.id)).toEqual(['northwind']);
    expect((await product.store.getCustomer('contoso', customer.id))?.name).toBe(customer.name);
    expect(product.smtp.messages.filter((m) => m.text?.includes(account.login))).toEqual([]);
    // Its own partner it may read but not change: partners are the platform's to manage.
    expect((await northwindOnly('GET', '/partners/northwind')).status).toBe(200);
    const patch = await northwindOnly('PATCH', '/partners/northwind', { domains: ['contoso-reseller.example'] });
    expect(patch.status).toBe(403);
    expect(patch.body.type).toBe(problemType('forbidden'));
  });

  it('sets no cookie and needs no CSRF token, and the console records when a client was last used', async () => {
    const { token, id } = await createClient(product, dana, { name: 'Cookie-free', scopes: ['tenants:write'] });
    const res = await fetch(`${product.url}/api/v1/partners/northwind/customers`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'No Cookie Co' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const row = parse((await dana.get(`${product.url}/idp-admin/api-clients`)).text).querySelectorAll('tr').find((tr) => tr.text.includes(id))!;
    expect(row.text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC[\s\S]*Active/);
    expect(row.text).not.toContain('Never');
  });

  it('is closed to a partner admin without the idp-admin role, and refuses a form without scopes', async () => {
    const { client: alice } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    expect((await alice.get(`${product.url}/idp-admin/api-clients`)).status).toBe(403);
    const page = await dana.get(`${product.url}/idp-admin/api-clients`);
    const res = await dana.post(`${product.url}/idp-admin/api-clients`, { ...formFields(page.text, 'form[action="/idp-admin/api-clients"]'), name: 'No scopes' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Choose at least one scope.');
  });
});
