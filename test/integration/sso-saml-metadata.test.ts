import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.js';
import { HttpClient } from '../support/http-client.js';
import { startProduct, type Product } from '../support/product.js';
import { base64, makeIdpKeys, readRedirectRequest, signedResponse, type IdpKeys } from '../support/saml-responses.js';

// Where a SAML connection learns its IdP: pasted metadata with several signing certificates (a
// rollover in progress), and a metadata URL that is read again after its refresh period.

const IDP = 'https://idp.northwind-partners.example/saml';
let product: Product;
let oldKey: IdpKeys;
let newKey: IdpKeys;
let strangerKey: IdpKeys;
let metadataServer: Server;
let served: { status: number; body: string };
let offset = 0;
const clock = { now: () => new Date(Date.now() + offset) };

const certBody = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');
function metadata(certs: string[], sso = 'https://idp.northwind-partners.example/sso'): string {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${IDP}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
${certs.map((c) => `    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join('\n')}
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(strangerKey.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${sso}/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${sso}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

beforeAll(async () => {
  [oldKey, newKey, strangerKey] = await Promise.all([makeIdpKeys('old'), makeIdpKeys('new'), makeIdpKeys('stranger')]);
  served = { status: 200, body: metadata([oldKey.cert]) };
  metadataServer = createServer((_req, res) => {
    res.writeHead(served.status, { 'content-type': 'application/samlmetadata+xml' }).end(served.body);
  });
  await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', () => resolve()));
  const metadataUrl = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata`;
  product = await startProduct({
    sso: {
      connections: [
        { id: 'nw-pasted', type: 'saml', partner: 'northwind', displayName: 'Pasted', idp: { metadataXml: metadata([oldKey.cert, newKey.cert]) } },
        { id: 'nw-url', type: 'saml', partner: 'northwind', displayName: 'By URL', idp: { metadataUrl, metadataRefreshHours: 1 }, allowInsecureMetadataUrl: true },
      ],
    },
  }, { clock });
});
afterAll(async () => {
  await product?.stop();
  await new Promise<void>((resolve) => metadataServer?.close(() => resolve()));
});

/** Starts a sign-in at `conn` and posts a response signed with `keys`; the status tells accepted (303) or refused (400). */
async function signInWith(conn: string, keys: IdpKeys): Promise<number> {
  const client = new HttpClient();
  const start = await client.get(`${product.url}/auth/${conn}/start`);
  expect(start.status).toBe(302);
  const { id } = await readRedirectRequest(start.location!);
  const xml = signedResponse({
    issuer: IDP, audience: `${product.url}/auth/${conn}/saml/metadata`, acsUrl: `${product.url}/auth/${conn}/saml/acs`, inResponseTo: id,
    nameId: 'erin@northwind-partners.example', attributes: { groups: ['resetbridge-admins'] },
  }, keys);
  return (await client.post(`${product.url}/auth/${conn}/saml/acs`, { SAMLResponse: base64(xml) })).status;
}

describe('IdP metadata', () => {
  it('takes the entity id, the HTTP-Redirect SSO URL and every signing certificate from pasted metadata', async () => {
    const start = await new HttpClient().get(`${product.url}/auth/nw-pasted/start`);
    expect(start.location!.startsWith('https://idp.northwind-partners.example/sso?SAMLRequest=')).toBe(true);
    expect(await signInWith('nw-pasted', oldKey)).toBe(303);
    expect(await signInWith('nw-pasted', newKey)).toBe(303);
    expect(await signInWith('nw-pasted', strangerKey)).toBe(400); // an encryption key is not a signing key
  });

  it('reads a metadata URL, keeps it for its refresh period, then picks up a certificate rollover', async () => {
    expect(await signInWith('nw-url', oldKey)).toBe(303);
    served = { status: 200, body: metadata([newKey.cert]) };
    expect(await signInWith('nw-url', newKey)).toBe(400); // still the copy read an instant ago
    offset += 61 * 60_000;
    expect(await signInWith('nw-url', newKey)).toBe(303);
    expect(await signInWith('nw-url', oldKey)).toBe(400);
  });

  it('keeps the last good copy when the metadata URL fails at refresh time', async () => {
    served = { status: 503, body: 'down' };
    offset += 61 * 60_000;
    expect(await signInWith('nw-url', newKey)).toBe(303);
    expect(product.logLines.some((l) => l.includes('IdP metadata refresh failed'))).toBe(true);
  });
});

describe('SAML connection configuration', () => {
  const problems = (connection: Record<string, unknown>, env: 'development' | 'production' = 'development') => {
    const prod = env === 'production' ? { server: { publicUrl: 'https://reset.example.com' }, secrets: { sessionSecret: 'x'.repeat(32), dataKey: Buffer.alloc(32).toString('base64') }, mail: { transport: { type: 'smtp', host: 'smtp.example.com' } } } : {};
    try {
      validateConfig({ env, ...prod, sso: { connections: [{ id: 'acme', type: 'saml', partner: 'acme', displayName: 'Acme', ...connection }] } }, 'test', { SP_KEY: 'key' });
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('names what is missing when neither metadata nor the IdP values are given', () => {
    expect(problems({ idp: {} })).toEqual([
      'sso.connections[0].idp.entityId: required when neither metadataUrl nor metadataXml is given',
      'sso.connections[0].idp.ssoUrl: required when neither metadataUrl nor metadataXml is given',
      'sso.connections[0].idp.certs: required when neither metadataUrl nor metadataXml is given',
    ]);
  });

  it('refuses an http metadata URL unless allowed for this machine, and that permission in production', () => {
    expect(problems({ idp: { metadataUrl: 'http://idp.acme.example/metadata' } })).toEqual([
      'sso.connections[0].idp.metadataUrl: must be https:// (the certificates that vouch for every sign-in come from it)',
    ]);
    expect(problems({ idp: { metadataUrl: 'http://127.0.0.1:1/metadata' }, allowInsecureMetadataUrl: true }, 'production')).toEqual([
      'sso.connections[0].allowInsecureMetadataUrl: refused in production (use the IdP\'s https metadata URL)',
    ]);
  });

  it('asks for the key and certificate when requests are to be signed, and resolves them as secret references', () => {
    expect(problems({ idp: { metadataUrl: 'https://idp.acme.example/metadata' }, signAuthnRequests: true })).toEqual([
      'sso.connections[0].sp.privateKey: signAuthnRequests needs sp.privateKey and sp.cert (file:PATH references)',
    ]);
    expect(problems({ idp: { metadataUrl: 'https://idp.acme.example/metadata' }, signAuthnRequests: true, sp: { privateKey: 'env:NOPE', cert: 'env:SP_KEY' } })).toEqual([
      'sso.connections[0].sp.privateKey: environment variable NOPE is not set (set it, or change the reference)',
    ]);
  });

  it('refuses the demo SAML IdP in production', () => {
    expect(() => validateConfig({ env: 'production', demo: { samlIdp: true } }, 'test', {})).toThrow(/demo\.samlIdp: the demo SAML identity provider is refused in production/);
  });
});
