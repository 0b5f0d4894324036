// The OpenAPI document is generated from the schemas that validate requests; here every operation
// is called for real and each answer — successes and problems alike — is checked against it.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProduct, type Product } from '../support/product.js';
import { apiClient, createClient, signInAsIdpAdmin, type Api, type ApiResponse } from './api-fixture.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

let product: Product;
let doc: Doc;
let ajv: Ajv2020;
let raw: Api;
let restricted: Api;
const covered = new Map<string, Set<number>>();

beforeAll(async () => {
  product = await startProduct();
  const dana = await signInAsIdpAdmin(product);
  raw = apiClient(product, (await createClient(product, dana, { name: 'Conformance', scopes: ['tenants:write', 'resets:write', 'resets:read', 'resets:link', 'audit:read'] })).token);
  restricted = apiClient(product, (await createClient(product, dana, { name: 'Conformance (Northwind)', scopes: ['tenants:read'], partnerId: 'northwind' })).token);
  doc = await (await fetch(`${product.url}/api/v1/openapi.json`)).json() as Doc;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi');
});
afterAll(async () => {
  await product?.stop();
});

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The documented operation for a concrete request path, by matching the path templates. */
function operationFor(method: string, path: string): { template: string; operationId: string } {
  const bare = path.split('?')[0]!;
  for (const [template, item] of Object.entries(doc.paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const op = item[method.toLowerCase()];
    if (op && re.test(bare)) return { template, operationId: op.operationId };
  }
  throw new Error(`${method} ${bare} is not in the OpenAPI document`);
}

/** Calls the API and fails unless the answer's status, media type and body are what the document says. */
async function call(api: Api, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
  const res = await api(method, path, body, headers);
  const { template, operationId } = operationFor(method, path);
  const documented = doc.paths[template]![method.toLowerCase()]!.responses[String(res.status)];
  expect(documented, `${method} ${path} answered ${res.status}, which the document does not list: ${res.text.slice(0, 300)}`).toBeDefined();
  if (documented!.content) {
    const media = Object.keys(documented!.content)[0]!;
    expect(res.headers.get('content-type')?.split(';')[0]).toBe(media);
    const validate = ajv.getSchema(`openapi#/${pointer('paths', template, method.toLowerCase(), 'responses', String(res.status), 'content', media, 'schema')}`) as ValidateFunction;
    expect(validate(res.body) ? [] : validate.errors, `${method} ${path} → ${res.status}`).toEqual([]);
  } else {
    expect(res.text).toBe('');
  }
  if (!covered.has(operationId)) covered.set(operationId, new Set());
  covered.get(operationId)!.add(res.status);
  return res;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with a bearer scheme, and names a scope and the problem answers for every operation', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const op of ops) {
      expect(op.security, op.operationId).toEqual([{ bearerAuth: [expect.stringMatching(/^(tenants|resets|audit):(read|write)$/)] }]);
      expect(Object.keys(op.responses), op.operationId).toEqual(expect.arrayContaining(['401', '403', '422']));
      expect(op.responses['401']!.content).toHaveProperty(['application/problem+json']);
    }
  });

  it('describes every real answer of every operation, successes and problems alike', async () => {
    const key = { 'idempotency-key': 'conformance-1' };
    await call(raw, 'GET', '/partners');
    await call(raw, 'POST', '/partners', { id: 'fabrikam', name: 'Fabrikam Partners', domains: ['fabrikam.example'] }, key);
    await call(raw, 'POST', '/partners', { id: 'fabrikam', name: 'Fabrikam Partners', domains: ['fabrikam.example'] });
    await call(raw, 'GET', '/partners/fabrikam');
    await call(raw, 'PUT', '/partners/fabrikam', { name: 'Fabrikam', domains: ['fabrikam.example'], selfService: true });
    await call(raw, 'PUT', '/partners/tailspin', { name: 'Tailspin', domains: [] });
    await call(raw, 'PATCH', '/partners/fabrikam', { disabled: null });
    await call(raw, 'PATCH', '/partners/fabrikam', { domains: ['northwind-partners.example'] });
    await call(restricted, 'PATCH', '/partners/northwind', { name: 'Mine now' });
    await call(raw, 'DELETE', '/partners/tailspin');
    await call(raw, 'GET', '/partners?includeDeleted=true&limit=1');

    const company = await call(raw, 'POST', '/partners/fabrikam/customers', { name: 'Woodgrove', externalId: 'wg', country: 'Peru' });
    await call(raw, 'POST', '/partners/fabrikam/customers', { name: 'Woodgrove', externalId: 'wg' });
    await call(raw, 'PUT', '/partners/fabrikam/customers/by-external-id/lt', { name: 'Litware' });
    await call(raw, 'PUT', '/partners/fabrikam/customers/by-external-id/lt', { name: 'Litware Inc', selfService: false });
    await call(raw, 'GET', `/partners/fabrikam/customers/${company.body.id}`);
    await call(raw, 'PATCH', `/partners/fabrikam/customers/${company.body.id}`, { country: null, directory: { instance: 'demo-directory', mapping: '{login}@wg.example' } });
    await call(raw, 'PATCH', `/partners/fabrikam/customers/${company.body.id}`, { directory: { instance: 'demo-directory', mapping: '{nickname}' } });
    await call(raw, 'GET', '/partners/fabrikam/customers?limit=1');
    await call(raw, 'POST', '/partners/fabrikam/customers/bulk', { records: [{ externalId: 'b1', name: 'B1' }, { externalId: 'b2' }] });

    const account = await call(raw, 'POST', '/partners/fabrikam/accounts', { customerId: company.body.id, name: 'Wes Wood', login: 'wes', email: 'wes@wg.example', externalId: 'wes' });
    await call(raw, 'PUT', '/partners/fabrikam/accounts/by-external-id/lia', { customerExternalId: 'lt', name: 'Lia Lit', login: 'lia', email: 'lia@lt.example' });
    await call(raw, 'PUT', '/partners/fabrikam/accounts/by-external-id/lia', { customerExternalId: 'lt', name: 'Lia Lit', login: 'lia', email: 'lia@lt.example' });
    await call(raw, 'PUT', '/partners/fabrikam/accounts/by-external-id/nobody', { customerExternalId: 'missing', name: 'No One', login: 'no', email: 'no@x.example' });
    await call(raw, 'GET', `/partners/fabrikam/accounts/${account.body.id}`);
    await call(raw, 'PATCH', `/partners/fabrikam/accounts/${account.body.id}`, { name: 'Wes Woodgrove', externalId: null });
    await call(raw, 'GET', `/partners/fabrikam/accounts?customerId=${company.body.id}`);
    await call(raw, 'POST', '/partners/fabrikam/accounts/bulk', { records: [
      { externalId: 'x1', customerExternalId: 'b1', name: 'X One', login: 'x1', email: 'x1@b1.example' },
      { externalId: 'x2', customerExternalId: 'b1', customerId: company.body.id, name: 'X Two', login: 'x2', email: 'x2@b1.example' },
    ] });

    const reset = await call(raw, 'POST', `/partners/fabrikam/accounts/${account.body.id}/resets`, undefined, { 'idempotency-key': 'conformance-2' });
    await call(raw, 'POST', `/partners/fabrikam/accounts/${account.body.id}/resets`, undefined, { 'idempotency-key': 'conformance-2' });
    await call(raw, 'POST', `/partners/fabrikam/accounts/${account.body.id}/resets`, { different: true }, { 'idempotency-key': 'conformance-2' });
    await call(raw, 'GET', `/resets/${reset.body.id}`);
    // Out-of-band delivery: refused while the partner does not allow it, then the link (201), never replayed.
    const lia = (await call(raw, 'GET', '/partners/fabrikam/accounts?externalId=lia')).body.items[0];
    await call(raw, 'POST', `/partners/fabrikam/accounts/${lia.id}/resets`, { delivery: 'link' });
    await call(raw, 'PATCH', '/partners/fabrikam', { outOfBandLinks: true });
    const linked = await call(raw, 'POST', `/partners/fabrikam/accounts/${lia.id}/resets`, { delivery: 'link' }, { 'idempotency-key': 'conformance-3' });
    expect(linked.status).toBe(201);
    expect((await call(raw, 'POST', `/partners/fabrikam/accounts/${lia.id}/resets`, { delivery: 'link' }, { 'idempotency-key': 'conformance-3' })).status).toBe(409);
    await call(raw, 'POST', `/partners/fabrikam/accounts/${lia.id}/resets`, { delivery: 'mail' });
    await call(raw, 'GET', '/resets/00000000-0000-4000-8000-000000000000');
    await call(raw, 'GET', '/resets/not-a-uuid');
    await call(raw, 'GET', '/audit?limit=5');
    await call(restricted, 'GET', '/audit');
    await call(restricted, 'GET', '/partners/fabrikam');
    await call(apiClient(product), 'GET', '/partners');

    await call(raw, 'DELETE', `/partners/fabrikam/accounts/${account.body.id}`);
    await call(raw, 'DELETE', `/partners/fabrikam/customers/${company.body.id}`);
    await call(raw, 'DELETE', `/partners/fabrikam/customers/${company.body.id}`);

    const all = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const succeeded = all.filter((id) => [...(covered.get(id) ?? [])].some((s) => s < 300));
    expect(succeeded.sort()).toEqual(all.sort());
  });
});

describe('the API reference page', () => {
  it('lists every operation and schema as plain HTML with our own stylesheet and no script', async () => {
    const res = await fetch(`${product.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    const root = parse(html);
    expect(root.querySelectorAll('script')).toEqual([]);
    expect(root.querySelectorAll('[style]')).toEqual([]);
    expect(root.querySelectorAll('link[rel="stylesheet"]').map((l) => l.getAttribute('href'))).toEqual(['/assets/app.css', '/api/docs.css']);
    expect((await fetch(`${product.url}/api/docs.css`)).status).toBe(200);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of Object.values(item)) expect(root.querySelector(`#${op.operationId}`)?.text, path).toContain(path);
    }
    expect(root.querySelector('#schema-BulkResponse')?.text).toContain('results');
    // Every link inside the page points at something on it.
    for (const a of root.querySelectorAll('a[href^="#"]')) expect(root.querySelector(a.getAttribute('href')!), a.getAttribute('href')).not.toBeNull();
  });
});
