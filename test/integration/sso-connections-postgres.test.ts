// Connections made in the console on the PostgreSQL store, shared by two instances: one made on
// the first instance signs an admin in on the second at once, and the second's pages let its IdP
// be reached (CSP form-action) without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { signInAsAdmin } from '../support/journey.js';
import { newSecrets, startProduct, type Product } from '../support/product.js';
import { makeIdpKeys } from '../support/saml-responses.js';
import { until } from '../support/wait.js';
import { ERIN, samlFields, samlSignIn, submitConnection } from './sso-connections-fixture.js';

describe.skipIf(!databaseUrl)('SSO connections on PostgreSQL, two instances', () => {
  let schema: TestSchema;
  let one: Product;
  let two: Product;

  beforeAll(async () => {
    schema = await freshSchema();
    const secrets = newSecrets();
    one = await startProduct({}, { databaseUrl: schema.url, secrets });
    two = await startProduct({}, { databaseUrl: schema.url, secrets, dataDir: one.dataDir, smtp: one.smtp });
  });
  afterAll(async () => {
    await two?.stop();
    await one?.stop();
    await schema?.drop();
  });

  it('admits a really signed response on the other instance through a SAML connection just added on the first', async () => {
    const keys = await makeIdpKeys('partner SAML IdP');
    const dana = (await signInAsAdmin(one, 'dana@northwind-partners.example', 'northwind-demo')).client;
    const saved = await submitConnection(one, dana, '/idp-admin/connections/new?kind=saml', samlFields('nw-pg-saml', keys));
    expect(saved.status).toBe(303);

    const { client, res } = await samlSignIn(two, 'nw-pg-saml', keys);
    expect(res.status).toBe(303);
    expect((await client.follow(res)).text).toContain(ERIN.name);
    expect((await two.store.listAudit()).filter((e) => e.type === 'admin.signin').at(-1)).toMatchObject({ outcome: 'success', target: 'connection:nw-pg-saml' });
    await until('the IdP in the CSP of the second instance', async () => {
      const csp = (await fetch(`${two.url}/login`)).headers.get('content-security-policy') ?? '';
      return /form-action [^;]*https:\/\/idp\.partner-saml\.example/.test(csp);
    }, 10_000, 250);
  });
});
