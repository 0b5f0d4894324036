// The API on the PostgreSQL store, shared by two instances: an Idempotency-Key holds across them,
// bulk upserts of 10,000 accounts go through in one call, and soft deletes reach both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { newSecrets, startProduct, type Product } from '../support/product.js';
import { apiClient, createClient, signInAsIdpAdmin, type Api } from './api-fixture.js';

describe.skipIf(!databaseUrl)('the API on PostgreSQL, two instances', () => {
  let schema: TestSchema;
  let one: Product;
  let two: Product;
  let viaOne: Api;
  let viaTwo: Api;

  beforeAll(async () => {
    schema = await freshSchema();
    const secrets = newSecrets();
    one = await startProduct({}, { databaseUrl: schema.url, secrets });
    two = await startProduct({}, { databaseUrl: schema.url, secrets, dataDir: one.dataDir, smtp: one.smtp });
    const { token } = await createClient(one, await signInAsIdpAdmin(one), { name: 'Platform', scopes: ['tenants:write', 'resets:write', 'resets:read'] });
    viaOne = apiClient(one, token);
    viaTwo = apiClient(two, token);
  });
  afterAll(async () => {
    await two?.stop();
    await one?.stop();
    await schema?.drop();
  });

  it('replays a POST retried on the other instance with the same Idempotency-Key', async () => {
    const body = { name: 'Twice Sent Ltd', externalId: 'twice' };
    const headers = { 'idempotency-key': 'pg-key-1' };
    const first = await viaOne('POST', '/partners/northwind/customers', body, headers);
    const retry = await viaTwo('POST', '/partners/northwind/customers', body, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect((await viaTwo('POST', '/partners/northwind/customers', { ...body, name: 'Other' }, headers)).status).toBe(422);
  });

  it('upserts 10,000 accounts in one call, then updates them all in another', async () => {
    const company = await viaOne('PUT', '/partners/northwind/customers/by-external-id/pg-big', { name: 'PG Big Co' });
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      externalId: `pg-${i}`, customerExternalId: 'pg-big', name: `Person ${i}`, login: `pg.${i}`, email: `pg.${i}@big.example`,
    }));
    let started = Date.now();
    const created = await viaOne('POST', '/partners/northwind/accounts/bulk', { records });
    const createMs = Date.now() - started;
    expect(created.body.summary).toEqual({ created: 10_000, updated: 0, restored: 0, failed: 0 });
    started = Date.now();
    const updated = await viaTwo('POST', '/partners/northwind/accounts/bulk', { records: records.map((r) => ({ ...r, name: `${r.name}!` })) });
    const updateMs = Date.now() - started;
    expect(updated.body.summary).toEqual({ created: 0, updated: 10_000, restored: 0, failed: 0 });
    const listed = await viaOne('GET', `/partners/northwind/accounts?customerId=${company.body.id}&limit=500`);
    expect(listed.body.items).toHaveLength(500);
    expect(listed.body.items.every((a: { name: string }) => a.name.endsWith('!'))).toBe(true);
    console.info(`bulk upsert of 10,000 accounts (PostgreSQL): create ${createMs} ms, update ${updateMs} ms`);
  }, 60_000);

  it("soft-deletes on one instance what the other then refuses, and revokes the account's open link", async () => {
    const company = await viaOne('PUT', '/partners/northwind/customers/by-external-id/pg-doomed', { name: 'PG Doomed', directory: { instance: 'demo-directory', mapping: 'login' } });
    const account = await viaOne('PUT', '/partners/northwind/accounts/by-external-id/pg-doomed-1',
      { customerId: company.body.id, name: 'Pat Doomed', login: 'pat.doomed', email: 'pat@doomed.example' });
    const reset = await viaTwo('POST', `/partners/northwind/accounts/${account.body.id}/resets`);
    expect(reset.status).toBe(202);
    expect((await viaOne('DELETE', `/partners/northwind/accounts/${account.body.id}`)).status).toBe(204);
    expect((await viaTwo('GET', `/resets/${reset.body.id}`)).body.status).toBe('revoked');
    expect((await viaTwo('POST', `/partners/northwind/accounts/${account.body.id}/resets`)).status).toBe(404);
    expect(await two.store.getAccount('northwind', account.body.id)).toBeUndefined();
  });
});
