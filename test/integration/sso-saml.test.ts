import { createVerify } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields, type Res } from '../support/http-client.js';
import { startProduct, type Product } from '../support/product.js';
import {
  base64, hideSignedAssertion, insertEvilAssertion, logoutRequestUrl, makeIdpKeys, readRedirectRequest,
  signedResponse, samlId, tamperNameId, type IdpKeys, type ResponseOptions,
} from '../support/saml-responses.js';

// Real responses, really signed with xml-crypto, posted at the real ACS of the whole product.
// One scenario per test; each refusal is checked by its audit reason, so it cannot pass by accident.

const IDP = 'https://idp.northwind-partners.example/saml';
let product: Product;
let keys: IdpKeys;
let attacker: IdpKeys;
let spKeys: IdpKeys;

const connection = (id: string, extra: Record<string, unknown> = {}) => ({
  id, type: 'saml' as const, partner: 'northwind', displayName: `Northwind ${id}`,
  idp: { entityId: IDP, ssoUrl: 'https://idp.northwind-partners.example/sso', sloUrl: 'https://idp.northwind-partners.example/slo', certs: [keys.cert] },
  ...extra,
});

beforeAll(async () => {
  [keys, attacker, spKeys] = await Promise.all([makeIdpKeys(), makeIdpKeys('attacker'), makeIdpKeys('resetbridge SP')]);
  product = await startProduct({
    sso: {
      connections: [
        connection('nw-saml', { signAuthnRequests: true, sp: { privateKey: spKeys.key, cert: spKeys.cert } }),
        connection('nw-unsolicited', { allowIdpInitiated: true }),
        connection('nw-assertion-only', { wantResponseSigned: false }),
      ],
    },
  });
});
afterAll(async () => {
  await product?.stop();
});

const sp = (id: string) => ({
  entityId: `${product.url}/auth/${id}/saml/metadata`,
  acs: `${product.url}/auth/${id}/saml/acs`,
});

/** A browser that started an SP-initiated sign-in: the AuthnRequest id the IdP would answer. */
async function startSignIn(conn = 'nw-saml', returnTo?: string): Promise<{ client: HttpClient; requestId: string; relayState: string | null }> {
  const client = new HttpClient();
  const res = await client.get(`${product.url}/auth/${conn}/start${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`);
  expect(res.status).toBe(302);
  const request = await readRedirectRequest(res.location!);
  return { client, requestId: request.id, relayState: request.params.get('RelayState') };
}

function options(conn: string, inResponseTo: string | null, over: Partial<ResponseOptions> = {}): ResponseOptions {
  return {
    issuer: IDP, audience: sp(conn).entityId, acsUrl: sp(conn).acs, inResponseTo,
    nameId: 'erin@northwind-partners.example',
    attributes: { email: ['erin@northwind-partners.example'], displayName: ['Erin Lindqvist'], groups: ['staff', 'resetbridge-admins'] },
    ...over,
  };
}

const post = (client: HttpClient, conn: string, xml: string, relayState?: string) =>
  client.post(sp(conn).acs, { SAMLResponse: base64(xml), ...(relayState ? { RelayState: relayState } : {}) });

const sessionCookie = (cookies: string) => cookies.split('; ').find((c) => c.startsWith('rb.sid='));

async function lastSignIn() {
  return (await product.store.listAudit()).filter((e) => e.type === 'admin.signin').at(-1)!;
}

/** Refused with a plain page, the reason in the audit log, and no session. */
async function expectRefused(client: HttpClient, res: Res, reason: string) {
  expect(res.status).toBe(400);
  expect(res.text).toContain('We could not complete your sign-in with your company account.');
  const event = await lastSignIn();
  expect(event).toMatchObject({ outcome: 'failure', detail: { reason } });
  const console = await client.get(`${product.url}/admin/customers`);
  expect(console.status).toBe(302);
  expect(console.location).toContain('/login');
}

describe('SAML sign-in with really signed responses', () => {
  it('signs in an admin whose response and assertion are both signed, under a new session id, and records them', async () => {
    const { client, requestId, relayState } = await startSignIn('nw-saml', '/admin/customers?page=2');
    await client.get(`${product.url}/auth/demo-northwind/start`); // leaves a pre-sign-in session (an OIDC transaction)
    const before = sessionCookie(await client.cookies(product.url));
    expect(before).toBeDefined();
    const res = await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId), keys), relayState ?? undefined);
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${product.url}/admin/customers?page=2`);
    const after = sessionCookie(await client.cookies(product.url));
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    // The id the browser had before signing in is worth nothing afterwards.
    expect((await new HttpClient().get(`${product.url}/admin/customers`, { cookie: before! })).status).toBe(302);
    const landing = await client.follow(res);
    expect(landing.status).toBe(200);
    expect(landing.text).toContain('Northwind Partners');
    expect(landing.text).toContain('Erin Lindqvist');
    expect(await lastSignIn()).toMatchObject({ outcome: 'success', partnerId: 'northwind', target: 'connection:nw-saml', actor: 'admin:erin@northwind-partners.example' });
    const admins = await product.store.listAdmins('northwind');
    expect(admins.find((a) => a.connectionId === 'nw-saml' && a.sub === 'erin@northwind-partners.example')).toMatchObject({ roles: ['partner-admin'] });
  });

  it('refuses a response with no signature at all', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId), keys, { response: false, assertion: false })), 'response-not-signed');
  });

  it('refuses a response where only the assertion is signed while both are required', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId), keys, { response: false })), 'response-not-signed');
  });

  it('refuses a signed response with a second, unsigned assertion inserted (signature wrapping)', async () => {
    const { client, requestId } = await startSignIn();
    const o = options('nw-saml', requestId);
    await expectRefused(client, await post(client, 'nw-saml', insertEvilAssertion(signedResponse(o, keys), o, 'mallory@northwind-partners.example')), 'invalid-response-signature');
  });

  it('refuses wrapping where only assertions are signed: an extra assertion, or the signed one hidden in Extensions', async () => {
    const first = await startSignIn('nw-assertion-only');
    const o1 = options('nw-assertion-only', first.requestId);
    await expectRefused(first.client, await post(first.client, 'nw-assertion-only', insertEvilAssertion(signedResponse(o1, keys, { response: false }), o1, 'mallory@northwind-partners.example')), 'multiple-assertions');
    const second = await startSignIn('nw-assertion-only');
    const o2 = options('nw-assertion-only', second.requestId);
    await expectRefused(second.client, await post(second.client, 'nw-assertion-only', hideSignedAssertion(signedResponse(o2, keys, { response: false }), o2, 'mallory@northwind-partners.example')), 'assertion-not-signed');
  });

  it('accepts an assertion-only signature where the connection allows it', async () => {
    const { client, requestId } = await startSignIn('nw-assertion-only');
    const res = await post(client, 'nw-assertion-only', signedResponse(options('nw-assertion-only', requestId), keys, { response: false }));
    expect(res.status).toBe(303);
  });

  it('refuses a response whose NameID was changed after signing', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', tamperNameId(signedResponse(options('nw-saml', requestId), keys), 'ceo@northwind-partners.example')), 'invalid-response-signature');
  });

  it('refuses a response signed with a certificate that is not the configured one', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId), attacker)), 'invalid-response-signature');
  });

  it('refuses an assertion for another audience', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId, { audience: 'https://other-app.example/sp' }), keys)), 'wrong-audience');
  });

  it('refuses an assertion whose bearer confirmation names another recipient', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId, { recipient: 'https://other-app.example/acs' }), keys)), 'wrong-recipient');
  });

  it('refuses a response sent to another Destination', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId, { destination: 'https://other-app.example/acs' }), keys)), 'wrong-destination');
  });

  it('refuses an assertion issued by another entity, even when signed with the trusted key', async () => {
    const { client, requestId } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId, { issuer: 'https://idp.contoso-reseller.example/saml' }), keys)), 'wrong-issuer');
  });

  it('refuses an expired assertion (NotOnOrAfter past, beyond the clock skew)', async () => {
    const a = await startSignIn();
    await expectRefused(a.client, await post(a.client, 'nw-saml', signedResponse(options('nw-saml', a.requestId, { notBefore: -900, conditionsNotOnOrAfter: -120, subjectNotOnOrAfter: -120 }), keys)), 'subject-confirmation-expired');
    const b = await startSignIn();
    await expectRefused(b.client, await post(b.client, 'nw-saml', signedResponse(options('nw-saml', b.requestId, { notBefore: -900, conditionsNotOnOrAfter: -120 }), keys)), 'expired');
  });

  it('tolerates the configured clock skew and no more', async () => {
    const a = await startSignIn();
    expect((await post(a.client, 'nw-saml', signedResponse(options('nw-saml', a.requestId, { notBefore: 40 }), keys))).status).toBe(303);
    const b = await startSignIn();
    await expectRefused(b.client, await post(b.client, 'nw-saml', signedResponse(options('nw-saml', b.requestId, { notBefore: 120 }), keys)), 'not-yet-valid');
  });

  it('refuses a replayed response: its request was answered already', async () => {
    const { client, requestId } = await startSignIn();
    const xml = signedResponse(options('nw-saml', requestId), keys);
    expect((await post(client, 'nw-saml', xml)).status).toBe(303);
    const thief = new HttpClient();
    await expectRefused(thief, await post(thief, 'nw-saml', xml), 'unknown-in-response-to');
  });

  it('refuses a replayed unsolicited response by its assertion id', async () => {
    const xml = signedResponse(options('nw-unsolicited', null), keys);
    expect((await post(new HttpClient(), 'nw-unsolicited', xml)).status).toBe(303);
    const thief = new HttpClient();
    await expectRefused(thief, await post(thief, 'nw-unsolicited', xml), 'replayed-assertion');
  });

  it('refuses an InResponseTo that resetbridge never issued, or issued for another connection', async () => {
    const { client } = await startSignIn();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', samlId()), keys)), 'unknown-in-response-to');
    const other = await startSignIn('nw-unsolicited');
    await expectRefused(other.client, await post(other.client, 'nw-saml', signedResponse(options('nw-saml', other.requestId), keys)), 'unknown-in-response-to');
  });

  it('refuses an IdP-initiated response when the connection does not allow them, and accepts it where allowed', async () => {
    const client = new HttpClient();
    await expectRefused(client, await post(client, 'nw-saml', signedResponse(options('nw-saml', null), keys)), 'unsolicited-response-refused');
    const allowed = await post(client, 'nw-unsolicited', signedResponse(options('nw-unsolicited', null), keys), '//evil.example/');
    expect(allowed.status).toBe(303);
    expect(allowed.location).toBe(`${product.url}/admin`); // RelayState is only ever a local path
  });

  it('keeps the assertion out of the audit log and the logs', async () => {
    const events = JSON.stringify(await product.store.listAudit());
    expect(events).not.toContain('SAMLResponse');
    expect(events).not.toContain('<saml');
    expect(events).not.toContain(keys.cert.slice(40, 80));
    expect(product.logLines.join('\n')).not.toContain('SAMLResponse');
  });
});

describe('SAML service provider side', () => {
  it('publishes SP metadata per connection: entity id, ACS, SLO and the request-signing certificate', async () => {
    const res = await new HttpClient().get(`${product.url}/auth/nw-saml/saml/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const doc = new DOMParser().parseFromString(res.text, 'text/xml');
    const md = 'urn:oasis:names:tc:SAML:2.0:metadata';
    expect(doc.documentElement!.getAttribute('entityID')).toBe(sp('nw-saml').entityId);
    const spd = doc.getElementsByTagNameNS(md, 'SPSSODescriptor')[0]!;
    expect(spd.getAttribute('AuthnRequestsSigned')).toBe('true');
    expect(spd.getAttribute('WantAssertionsSigned')).toBe('true');
    expect(doc.getElementsByTagNameNS(md, 'AssertionConsumerService')[0]!.getAttribute('Location')).toBe(sp('nw-saml').acs);
    expect(doc.getElementsByTagNameNS(md, 'SingleLogoutService')[0]!.getAttribute('Location')).toBe(`${product.url}/auth/nw-saml/saml/slo`);
    const cert = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'X509Certificate')[0]!.textContent!.replace(/\s+/g, '');
    expect(spKeys.cert.replace(/-----[^-]+-----|\s+/g, '')).toBe(cert);
    // A connection that does not sign its requests publishes no key.
    const plain = await new HttpClient().get(`${product.url}/auth/nw-unsolicited/saml/metadata`);
    expect(plain.text).not.toContain('X509Certificate');
  });

  it('signs its AuthnRequests (HTTP-Redirect, RSA-SHA256) with the key from the metadata, and names its ACS', async () => {
    const res = await new HttpClient().get(`${product.url}/auth/nw-saml/start`);
    const request = await readRedirectRequest(res.location!);
    expect(request.issuer).toBe(sp('nw-saml').entityId);
    expect(request.acs).toBe(sp('nw-saml').acs);
    expect(request.params.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    const raw = res.location!.split('?')[1]!.split('&');
    const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].map((k) => raw.find((p) => p.startsWith(`${k}=`))).filter(Boolean).join('&');
    expect(createVerify('RSA-SHA256').update(signed).verify(spKeys.cert, request.params.get('Signature')!, 'base64')).toBe(true);
    const unsigned = await new HttpClient().get(`${product.url}/auth/nw-unsolicited/start`);
    expect(new URL(unsigned.location!).searchParams.get('Signature')).toBeNull();
  });

  it('answers 404 for a connection it does not know', async () => {
    expect((await new HttpClient().get(`${product.url}/auth/nope/saml/metadata`)).status).toBe(404);
    expect((await new HttpClient().post(`${product.url}/auth/nope/saml/acs`, { SAMLResponse: 'x' })).status).toBe(404);
  });

  it('ends the session on a LogoutRequest signed by the IdP, and ignores an unsigned or foreign-signed one', async () => {
    const { client, requestId } = await startSignIn();
    expect((await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId), keys))).status).toBe(303);
    const sloUrl = `${product.url}/auth/nw-saml/saml/slo`;
    const unsigned = await client.get(await logoutRequestUrl({ sloUrl, issuer: IDP, nameId: 'erin@northwind-partners.example', keys, signed: false }));
    expect(unsigned.status).toBe(400);
    const forged = await client.get(await logoutRequestUrl({ sloUrl, issuer: IDP, nameId: 'erin@northwind-partners.example', keys: attacker }));
    expect(forged.status).toBe(400);
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(200);

    const res = await client.get(await logoutRequestUrl({ sloUrl, issuer: IDP, nameId: 'erin@northwind-partners.example', keys }));
    expect(res.status).toBe(302);
    expect(res.location!.startsWith('https://idp.northwind-partners.example/slo?SAMLResponse=')).toBe(true);
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
    const signOut = (await product.store.listAudit()).filter((e) => e.type === 'admin.signout').at(-1);
    expect(signOut).toMatchObject({ detail: { reason: 'idp-logout' }, target: 'connection:nw-saml' });
  });

  it('sends the browser to the IdP with a LogoutRequest at sign-out when the IdP offers Single Logout', async () => {
    const { client, requestId } = await startSignIn();
    const landing = await client.follow(await post(client, 'nw-saml', signedResponse(options('nw-saml', requestId), keys)));
    const res = await client.post(`${product.url}/logout`, formFields(landing.text, 'form[action="/logout"]'));
    expect(res.status).toBe(303);
    const request = await readRedirectRequest(res.location!);
    expect(res.location!.startsWith('https://idp.northwind-partners.example/slo?')).toBe(true);
    expect(request.xml).toContain('erin@northwind-partners.example');
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
  });
});
