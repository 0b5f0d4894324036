// The platform sets languages and time zones through the API; both stores keep them, and the user's
// mail follows them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';
import { apiClient, createClient, signInAsIdpAdmin, type Api } from './api-fixture.js';

const stores = [{ name: 'embedded', postgres: false }, ...(databaseUrl ? [{ name: 'PostgreSQL', postgres: true }] : [])];

describe.each(stores)('languages over the API ($name store)', ({ postgres }) => {
  let product: Product;
  let schema: TestSchema | undefined;
  let api: Api;

  beforeAll(async () => {
    schema = postgres ? await freshSchema() : undefined;
    product = await startProduct({}, schema ? { databaseUrl: schema.url } : {});
    const { token } = await createClient(product, await signInAsIdpAdmin(product), { name: 'Platform', scopes: ['tenants:write', 'resets:write', 'resets:read'] });
    api = apiClient(product, token);
  });
  afterAll(async () => {
    await product?.stop();
    await schema?.drop();
  });

  it('keeps a partner\'s, a company\'s and an account\'s language, and null removes one', async () => {
    expect((await api('PATCH', '/partners/northwind', { defaultLocale: 'fr' })).body.defaultLocale).toBe('fr');
    const company = await api('PUT', '/partners/northwind/customers/by-external-id/lang-co', { name: 'Sprachen GmbH', defaultLocale: 'de-AT', directory: { instance: 'demo-directory', mapping: 'login' } });
    expect(company.status).toBe(201);
    expect(company.body.defaultLocale).toBe('de-AT');
    const created = await api('POST', '/partners/northwind/accounts', {
      customerId: company.body.id, name: 'Haruto Ito', login: 'haruto.ito', email: 'haruto.ito@sprachen.example', locale: 'ja', timeZone: 'Asia/Tokyo',
    });
    expect(created.status).toBe(201);
    const stored = await api('GET', `/partners/northwind/accounts/${created.body.id}`);
    expect(stored.body).toMatchObject({ locale: 'ja', timeZone: 'Asia/Tokyo' });

    // The mail follows the account first, in its own time zone.
    expect((await api('POST', `/partners/northwind/accounts/${created.body.id}/resets`, {})).status).toBe(202);
    const mail = await product.smtp.waitFor((m) => recipient(m).includes('haruto.ito@sprachen.example'));
    expect(mail.subject).toBe('Northwind Partners：パスワードの再設定');
    expect(mail.text).toMatch(/JST に期限切れ/);

    const cleared = await api('PATCH', `/partners/northwind/accounts/${created.body.id}`, { locale: null, timeZone: null });
    expect(cleared.body.locale).toBeUndefined();
    expect(cleared.body.timeZone).toBeUndefined();
    await api('PATCH', '/partners/northwind', { defaultLocale: null });
  });

  it('refuses a time zone or language tag that is not one, naming the field', async () => {
    const company = await api('PUT', '/partners/northwind/customers/by-external-id/lang-co-2', { name: 'Zeitzonen AG' });
    const badZone = await api('POST', '/partners/northwind/accounts', {
      customerId: company.body.id, name: 'Eva Bad', login: 'eva.bad', email: 'eva.bad@zeitzonen.example', timeZone: 'Mars/Olympus',
    });
    expect(badZone.status).toBe(422);
    expect(JSON.stringify(badZone.body)).toContain('timeZone');
    const badTag = await api('PATCH', `/partners/northwind/customers/${company.body.id}`, { defaultLocale: 'Japanese please' });
    expect(badTag.status).toBe(422);
    expect(JSON.stringify(badTag.body)).toContain('defaultLocale');
  });
});
