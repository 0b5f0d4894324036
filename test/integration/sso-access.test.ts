import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields, signInAtDemoIdp, type Res } from '../support/http-client.js';
import { links } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { base64, makeIdpKeys, readRedirectRequest, signedResponse, type IdpKeys } from '../support/saml-responses.js';

// What a signed-in admin may reach: decided by the connection that vouched for them (its partner,
// its role mapping), never by what the assertion claims about their email.

let product: Product;
let keys: IdpKeys;
const IDP = { northwind: 'https://idp.northwind-partners.example/saml', contoso: 'https://idp.contoso-reseller.example/saml' };

beforeAll(async () => {
  keys = await makeIdpKeys();
  const saml = (id: string, partner: 'northwind' | 'contoso') => ({
    id, type: 'saml' as const, partner, displayName: `${partner} company account (SAML)`,
    idp: { entityId: IDP[partner], ssoUrl: `${IDP[partner]}/sso`, certs: [keys.cert] },
  });
  product = await startProduct({ sso: { connections: [saml('nw-saml', 'northwind'), saml('co-saml', 'contoso')] } });
});
afterAll(async () => {
  await product?.stop();
});

/** Signs in through a SAML connection with a really signed response naming `nameId` with `groups`. */
async function samlSignIn(conn: 'nw-saml' | 'co-saml', nameId: string, groups: string[]): Promise<{ client: HttpClient; res: Res }> {
  const client = new HttpClient();
  const start = await client.get(`${product.url}/auth/${conn}/start`);
  const { id } = await readRedirectRequest(start.location!);
  const partner = conn === 'nw-saml' ? 'northwind' : 'contoso';
  const xml = signedResponse({
    issuer: IDP[partner], audience: `${product.url}/auth/${conn}/saml/metadata`, acsUrl: `${product.url}/auth/${conn}/saml/acs`,
    inResponseTo: id, nameId, attributes: { email: [nameId], displayName: [`Admin ${nameId}`], groups },
  }, keys);
  return { client, res: await client.post(`${product.url}/auth/${conn}/saml/acs`, { SAMLResponse: base64(xml) }) };
}

async function someAccount(partnerId: string) {
  const { items } = await product.store.listCustomers(partnerId, { page: 1, pageSize: 1 });
  const customer = items[0]!;
  return { customer, account: (await product.store.listAccounts(partnerId, customer.id))[0]! };
}

async function expectNoReachInto(client: HttpClient, partnerId: string) {
  const other = await someAccount(partnerId);
  for (const p of [
    `/admin/customers/${other.customer.id}`,
    `/admin/customers/${other.customer.id}/accounts`,
    `/admin/customers/${other.customer.id}/accounts/${other.account.id}`,
    `/admin/customers/${other.customer.id}/accounts/${other.account.id}/reset`,
  ]) {
    const res = await client.get(product.url + p);
    expect(res.status, p).toBe(404);
    expect(res.text).not.toContain(other.account.email);
  }
  const search = await client.get(`${product.url}/admin/customers?q=${encodeURIComponent(other.customer.name)}`);
  expect(search.text).not.toContain(`/admin/customers/${other.customer.id}`);
}

describe('partner scope, whichever connection signed the admin in', () => {
  it('keeps a Northwind admin out of Contoso\'s data after a SAML sign-in', async () => {
    const { client, res } = await samlSignIn('nw-saml', 'erin@northwind-partners.example', ['resetbridge-admins']);
    expect(res.status).toBe(303);
    await expectNoReachInto(client, 'contoso');
    const own = await someAccount('northwind');
    expect((await client.get(`${product.url}/admin/customers/${own.customer.id}/accounts/${own.account.id}`)).status).toBe(200);
  });

  it('keeps a Northwind admin out of Contoso\'s data after an OIDC sign-in', async () => {
    const { client } = await signInAsAdminVia(product, 'alice@northwind-partners.example', 'northwind-demo');
    await expectNoReachInto(client, 'contoso');
  });

  it('scopes by the connection\'s partner even when the IdP asserts an email of another partner\'s domain', async () => {
    const { client, res } = await samlSignIn('nw-saml', 'mallory@contoso-reseller.example', ['resetbridge-admins']);
    const landing = await client.follow(res);
    expect(landing.text).toContain('Northwind Partners');
    expect(landing.text).not.toContain('Contoso Reseller');
    await expectNoReachInto(client, 'contoso');
  });

  it('refuses an admin whose partner is disabled, and ends sessions already open for it', async () => {
    const open = await samlSignIn('co-saml', 'bo@contoso-reseller.example', ['resetbridge-admins']);
    expect(open.res.status).toBe(303);
    const contoso = (await product.store.getPartner('contoso'))!;
    await product.store.importTenants({ partners: [{ ...contoso, disabled: true }] });
    try {
      const { res } = await samlSignIn('co-saml', 'bo@contoso-reseller.example', ['resetbridge-admins']);
      expect(res.status).toBe(403);
      expect(res.text).toContain('Your organisation does not have access to resetbridge at the moment.');
      const events = await product.store.listAudit();
      expect(events.filter((e) => e.type === 'admin.signin').at(-1)).toMatchObject({ outcome: 'failure', detail: { reason: 'partner-disabled' } });

      const after = await open.client.get(`${product.url}/admin/customers`);
      expect(after.status).toBe(302);
      expect((await open.client.follow(after)).text).toContain('Your organisation does not have access to resetbridge at the moment.');
      expect((await product.store.listAudit()).filter((e) => e.type === 'admin.signout').at(-1)).toMatchObject({ partnerId: 'contoso', detail: { reason: 'partner-disabled' } });
    } finally {
      await product.store.importTenants({ partners: [{ ...contoso, disabled: false }] });
    }
  });
});

describe('role mapping', () => {
  it('gives someone without a mapped role the no-access message and nothing else', async () => {
    const { client, res } = await samlSignIn('nw-saml', 'sam@northwind-partners.example', ['sales', 'staff']);
    expect(res.status).toBe(403);
    const main = parse(res.text).querySelector('main')!;
    expect(main.querySelector('p')!.text).toBe('You are signed in but have no access to resetbridge; ask your administrator.');
    expect(res.text).not.toContain('Users &amp; Licenses');
    expect(res.text).not.toContain('/logout');
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
    expect((await client.get(`${product.url}/idp-admin`)).status).toBe(302);
  });

  it('lets an idp-admin reach the IdP admin pages, with the nav link, and lands them there', async () => {
    const { client, res } = await samlSignIn('nw-saml', 'ida@northwind-partners.example', ['resetbridge-idp-admins']);
    expect(res.location).toBe(`${product.url}/idp-admin`);
    const page = await client.get(`${product.url}/idp-admin`);
    expect(page.status).toBe(200);
    expect(parse(page.text).querySelector('h1')!.text).toBe('IdP admin');
    expect(links(page.text).some((l) => l.text === 'IdP admin' && l.href === '/idp-admin')).toBe(true);
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(403);
  });

  it('keeps a partner-admin out of the IdP admin pages, and shows them no link there', async () => {
    const { client, res } = await samlSignIn('nw-saml', 'pat@northwind-partners.example', ['resetbridge-admins']);
    const landing = await client.follow(res);
    expect(links(landing.text).some((l) => l.href === '/idp-admin')).toBe(false);
    const page = await client.get(`${product.url}/idp-admin`);
    expect(page.status).toBe(403);
    expect(page.text).not.toContain('<h1>IdP admin</h1>');
  });

  it('sends a visitor without a session from the IdP admin pages to sign-in', async () => {
    const res = await new HttpClient().get(`${product.url}/idp-admin`);
    expect(res.status).toBe(302);
    expect(res.location).toContain('/login?returnTo=%2Fidp-admin');
  });
});

describe('home-realm discovery', () => {
  it('offers a choice when the partner has several connections, and each choice starts its own sign-in', async () => {
    const client = new HttpClient();
    const login = await client.get(`${product.url}/login`);
    const res = await client.post(`${product.url}/login`, { ...formFields(login.text), email: 'someone@Northwind-Partners.example' });
    expect(res.status).toBe(200);
    const choices = links(res.text).filter((l) => l.href.startsWith('/auth/'));
    expect(choices.map((c) => c.href.split('/')[2]).sort()).toEqual(['demo-northwind', 'nw-saml']);
    const saml = await client.get(product.url + choices.find((c) => c.href.includes('nw-saml'))!.href.replace(/&amp;/g, '&'));
    expect(saml.status).toBe(302);
    expect(saml.location!.startsWith(`${IDP.northwind}/sso?SAMLRequest=`)).toBe(true);
  });

  it('says plainly when it knows no sign-in for an email domain', async () => {
    const client = new HttpClient();
    const login = await client.get(`${product.url}/login`);
    const res = await client.post(`${product.url}/login`, { ...formFields(login.text), email: 'x@unknown.example' });
    expect(res.status).toBe(400);
    expect(parse(res.text).querySelector('[role="alert"]')!.text.trim()).toBe('We do not know a sign-in for that email domain. Use your work email, or ask your administrator for your sign-in link.');
  });

  it('starts a sign-in from a direct link per connection', async () => {
    const res = await new HttpClient().get(`${product.url}/auth/co-saml/start`);
    expect(res.status).toBe(302);
    expect((await readRedirectRequest(res.location!)).issuer).toBe(`${product.url}/auth/co-saml/saml/metadata`);
    expect((await new HttpClient().get(`${product.url}/auth/unknown/start`)).status).toBe(404);
  });
});

/** Northwind has two connections here, so the OIDC one is picked by its direct link. */
async function signInAsAdminVia(p: Product, email: string, password: string) {
  const client = new HttpClient();
  const idpLogin = await client.follow(await client.get(`${p.url}/auth/demo-northwind/start`));
  const landing = await client.follow(await signInAtDemoIdp(client, idpLogin, email, password));
  expect(landing.status).toBe(200);
  return { client, landing };
}
