import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoIdp } from '../../src/demo/idp.js';
import { HttpClient, formFields, signInAtDemoIdp } from '../support/http-client.js';
import { signInAsAdmin } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { makeIdpKeys, type IdpKeys } from '../support/saml-responses.js';
import {
  CLIENT_SECRET, ERIN, oidcFields, oidcSignIn, partnerOidcIdp, samlFields, samlMetadata, samlSignIn, submitConnection,
} from './sso-connections-fixture.js';

// An IdP admin (Dana) adds partners' connections on the console's pages; partner admins then sign
// in through them at once, without a restart, against a real OpenID Provider and with really
// signed SAML responses.

let product: Product;
let partnerIdp: DemoIdp;
let keys: IdpKeys;
let dana: HttpClient;

beforeAll(async () => {
  product = await startProduct();
  [partnerIdp, keys] = await Promise.all([partnerOidcIdp(product, ['nw-oidc', 'nw-oidc-off']), makeIdpKeys('partner SAML IdP')]);
  dana = (await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo')).client;
});
afterAll(async () => {
  await partnerIdp?.close();
  await product?.stop();
});

const events = async (type: string) => (await product.store.listAudit()).filter((e) => e.type === type);

describe('SSO connections made in the console', () => {
  it('adds an OIDC connection that a partner admin signs in through at once, the secret never shown, audited or logged', async () => {
    const saved = await submitConnection(product, dana, '/idp-admin/connections/new?kind=oidc', oidcFields('nw-oidc', partnerIdp.issuer));
    expect(saved.status).toBe(303);
    const page = await dana.follow(saved);
    expect(page.text).toContain('The connection was saved.');
    expect(page.text).toContain(`${product.url}/auth/nw-oidc/callback`);
    expect(page.text).toContain('A secret is kept (encrypted). Leave blank to keep it.');
    expect(page.text).not.toContain(CLIENT_SECRET);

    const { client, res } = await oidcSignIn(product, 'nw-oidc');
    expect(res.status).toBe(303);
    expect((await client.follow(res)).text).toContain('Users &amp; Licenses');
    expect((await events('admin.signin')).at(-1)).toMatchObject({ outcome: 'success', target: 'connection:nw-oidc', actor: `admin:${ERIN.email}` });

    const created = (await events('sso.connection.created')).find((e) => e.target === 'connection:nw-oidc');
    expect(created).toMatchObject({ actor: 'admin:dana@northwind-partners.example', partnerId: 'northwind', detail: { kind: 'oidc' } });
    expect(JSON.stringify(await product.store.listAudit())).not.toContain(CLIENT_SECRET);
    expect(product.logLines.join('\n')).not.toContain(CLIENT_SECRET);
    expect(JSON.stringify(await product.store.getConnection('nw-oidc'))).not.toContain(CLIENT_SECRET);

    const list = await dana.get(`${product.url}/idp-admin/connections`);
    expect(list.text).toContain('Northwind nw-oidc');
    expect(list.text).toMatch(/<code>nw-oidc<\/code><\/td>(?:(?!<\/tr>)[\s\S])*<td>\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/td>/); // Erin's sign-in
    expect(list.text).toContain('from configuration'); // the demo's connections, read-only
  });

  it('keeps the secret when an edit leaves it blank, and the edit counts at the next sign-in', async () => {
    const edited = await submitConnection(product, dana, '/idp-admin/connections/nw-oidc', oidcFields('nw-oidc', partnerIdp.issuer, { clientSecret: '', displayName: 'Northwind staff login' }));
    expect(edited.status).toBe(303);
    expect((await events('sso.connection.updated')).at(-1)).toMatchObject({ target: 'connection:nw-oidc', detail: { changed: 'displayName' } });
    expect((await oidcSignIn(product, 'nw-oidc')).res.status).toBe(303);
  });

  it('re-renders the form with a message at the issuer when discovery fails, and saves nothing', async () => {
    const res = await submitConnection(product, dana, '/idp-admin/connections/new?kind=oidc', oidcFields('nw-broken', 'http://127.0.0.1:9/nothing-here', { displayName: '' }));
    expect(res.status).toBe(422);
    expect(res.text).toContain('id="displayName-error"');
    const second = await submitConnection(product, dana, '/idp-admin/connections/new?kind=oidc', oidcFields('nw-broken', 'http://127.0.0.1:9/nothing-here'));
    expect(second.status).toBe(422);
    expect(second.text).toMatch(/id="issuer-error" class="bad">Discovery failed: the issuer cannot be reached/);
    expect(second.text).not.toContain(CLIENT_SECRET);
    expect(await product.store.getConnection('nw-broken')).toBeUndefined();
  });

  it('adds a SAML connection from pasted metadata, shows the SP metadata URL, and admits a really signed response', async () => {
    // Two signing certificates (a rollover under way), and a document larger than the app's usual form limit.
    const rollover = await makeIdpKeys('partner SAML IdP, next key');
    const metadataXml = `<!-- ${'exported by the partner IdP '.repeat(1500)} -->${samlMetadata(keys, rollover)}`;
    expect(metadataXml.length).toBeGreaterThan(40_000);
    const saved = await submitConnection(product, dana, '/idp-admin/connections/new?kind=saml', samlFields('nw-saml', keys, { metadataXml }));
    expect(saved.status).toBe(303);
    const page = await dana.follow(saved);
    const spMetadata = `${product.url}/auth/nw-saml/saml/metadata`;
    expect(page.text).toContain(spMetadata);
    expect(page.text).toContain('https://idp.partner-saml.example/entity');
    expect(page.text.match(/<code>SHA-256 [0-9A-F:]{95}<\/code>/g)).toHaveLength(2);
    const metadata = await new HttpClient().get(spMetadata);
    expect(metadata.status).toBe(200);
    expect(metadata.text).toContain(`entityID="${spMetadata}"`);

    const { client, res } = await samlSignIn(product, 'nw-saml', keys);
    expect(res.status).toBe(303);
    expect((await client.follow(res)).text).toContain(ERIN.name);
    expect((await samlSignIn(product, 'nw-saml', rollover)).res.status).toBe(303);
    expect((await events('admin.signin')).at(-1)).toMatchObject({ outcome: 'success', target: 'connection:nw-saml' });
  });

  it('refuses sign-in through a disabled connection and ends the sessions it opened, and admits again once it is enabled', async () => {
    const signedIn = await samlSignIn(product, 'nw-saml', keys);
    expect((await signedIn.client.get(`${product.url}/admin/customers`)).status).toBe(200);
    const page = await dana.get(`${product.url}/idp-admin/connections/nw-saml`);
    const disabled = await dana.post(`${product.url}/idp-admin/connections/nw-saml/disable`, formFields(page.text, 'form[action$="/disable"]'));
    expect(disabled.status).toBe(303);
    expect((await events('sso.connection.disabled')).at(-1)).toMatchObject({ target: 'connection:nw-saml' });
    expect((await new HttpClient().get(`${product.url}/auth/nw-saml/start`)).status).toBe(404);
    const ended = await signedIn.client.get(`${product.url}/admin/customers`);
    expect(ended.status).toBe(302);
    expect((await signedIn.client.follow(ended)).text).toContain('The company sign-in you used has been turned off.');
    expect((await events('admin.signout')).at(-1)).toMatchObject({ actor: `admin:${ERIN.email}`, detail: { reason: 'connection-disabled' } });
    const list = await dana.get(`${product.url}/idp-admin/connections`);
    expect(list.text).toContain('Disabled');

    const again = await dana.get(`${product.url}/idp-admin/connections/nw-saml`);
    expect((await dana.post(`${product.url}/idp-admin/connections/nw-saml/enable`, formFields(again.text, 'form[action$="/enable"]'))).status).toBe(303);
    expect((await samlSignIn(product, 'nw-saml', keys)).res.status).toBe(303);
  });

  it('reads IdP metadata from a URL at save and signs in with it', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/metadata') res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(samlMetadata(keys));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
      const saved = await submitConnection(product, dana, '/idp-admin/connections/new?kind=saml', samlFields('nw-saml-url', keys, { metadataSource: 'url', metadataUrl: url, metadataXml: '' }));
      expect(saved.status).toBe(303);
      expect((await product.store.getConnection('nw-saml-url'))?.settings).toMatchObject({ metadataUrl: url, idp: { entityId: 'https://idp.partner-saml.example/entity' } });
      expect((await samlSignIn(product, 'nw-saml-url', keys)).res.status).toBe(303);
      const broken = await submitConnection(product, dana, '/idp-admin/connections/new?kind=saml', samlFields('nw-saml-404', keys, { metadataSource: 'url', metadataUrl: url.replace('/metadata', '/gone'), metadataXml: '' }));
      expect(broken.status).toBe(422);
      expect(broken.text).toContain('id="metadataUrl-error" class="bad">The IdP metadata cannot be used: the metadata URL answered HTTP 404.');
      expect(await product.store.getConnection('nw-saml-404')).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('refuses a response posted to a connection disabled after the request went out', async () => {
    await submitConnection(product, dana, '/idp-admin/connections/new?kind=oidc', oidcFields('nw-oidc-off', partnerIdp.issuer));
    const client = new HttpClient();
    const start = await client.get(`${product.url}/auth/nw-oidc-off/start`);
    expect(start.status).toBe(302);
    const page = await dana.get(`${product.url}/idp-admin/connections/nw-oidc-off`);
    await dana.post(`${product.url}/idp-admin/connections/nw-oidc-off/disable`, formFields(page.text, 'form[action$="/disable"]'));
    const callback = await signInAtDemoIdp(client, await client.follow(await client.get(start.location!)), ERIN.email, ERIN.password, { fetchCallback: false });
    const res = await client.get(callback.location!);
    expect(res.status).toBe(404);
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
  });

  it('deletes a connection: it is gone from the list and its links are unknown', async () => {
    await submitConnection(product, dana, '/idp-admin/connections/new?kind=saml', samlFields('nw-saml-gone', keys));
    const page = await dana.get(`${product.url}/idp-admin/connections/nw-saml-gone`);
    const res = await dana.post(`${product.url}/idp-admin/connections/nw-saml-gone/delete`, formFields(page.text, 'form[action$="/delete"]'));
    expect(res.status).toBe(303);
    expect((await dana.follow(res)).text).not.toContain('Northwind nw-saml-gone');
    expect((await new HttpClient().get(`${product.url}/auth/nw-saml-gone/saml/metadata`)).status).toBe(404);
    expect((await events('sso.connection.deleted')).at(-1)).toMatchObject({ target: 'connection:nw-saml-gone' });
  });

  it('gives a partner admin 403 on the pages and refuses their changes', async () => {
    // Northwind now has several connections, so the sign-in page offers a choice: use the demo's link.
    const alice = new HttpClient();
    const start = await alice.get(`${product.url}/auth/demo-northwind/start`);
    const idpLogin = await alice.follow(await alice.get(start.location!));
    await alice.follow(await signInAtDemoIdp(alice, idpLogin, 'alice@northwind-partners.example', 'northwind-demo'));
    expect((await alice.get(`${product.url}/idp-admin/connections`)).status).toBe(403);
    expect((await alice.get(`${product.url}/idp-admin/connections/nw-oidc`)).status).toBe(403);
    const home = await alice.get(`${product.url}/admin/customers`);
    const csrf = formFields(home.text, 'form[action="/logout"]');
    expect((await alice.post(`${product.url}/idp-admin/connections/nw-oidc/disable`, csrf)).status).toBe(403);
    expect((await product.store.getConnection('nw-oidc'))?.disabled).toBeUndefined();
  });
});
