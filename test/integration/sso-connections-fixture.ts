// Shared by the sso-connections-*.test.ts files: connections made the way an IdP admin makes them
// (the console's forms), a partner's own IdPs to point them at, and a sign-in through each.
import { expect } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../src/demo/idp.js';
import { HttpClient, formFields, signInAtDemoIdp, type Res } from '../support/http-client.js';
import type { Product } from '../support/product.js';
import { base64, readRedirectRequest, signedResponse, type IdpKeys } from '../support/saml-responses.js';

export const ERIN = { email: 'erin@northwind-partners.example', password: 'erin-at-globex-idp', name: 'Erin Lindqvist' };
export const CLIENT_SECRET = 'console-made-secret-7f3a9c1e5b';
export const SAML_IDP = 'https://idp.partner-saml.example/entity';

/** The partner's own OpenID Provider, knowing Erin (a partner admin by the group "rb-admins") and one client per callback. */
export async function partnerOidcIdp(product: Product, connectionIds: string[]): Promise<DemoIdp> {
  return startDemoIdp({
    port: 0,
    users: [{ email: ERIN.email, password: ERIN.password, name: ERIN.name, groups: ['rb-admins'], clientIds: ['rb-console'] }],
    clients: [{ clientId: 'rb-console', clientSecret: CLIENT_SECRET, name: 'resetbridge', redirectUris: connectionIds.map((id) => `${product.url}/auth/${id}/callback`) }],
  });
}

/** Posts one of the console's connection forms with the page's CSRF token. */
export async function submitConnection(product: Product, admin: HttpClient, path: string, fields: Record<string, string>): Promise<Res> {
  const page = await admin.get(`${product.url}${path}`);
  expect(page.status).toBe(200);
  return admin.post(`${product.url}${path}`, { ...formFields(page.text, 'form[method="post"]'), ...fields });
}

export const oidcFields = (id: string, issuer: string, over: Record<string, string> = {}) => ({
  kind: 'oidc', id, partnerId: 'northwind', displayName: `Northwind ${id}`, issuer, clientId: 'rb-console', clientSecret: CLIENT_SECRET,
  tokenEndpointAuth: 'client_secret_basic', scope: 'openid email profile', roleClaim: 'groups', partnerAdminValues: 'rb-admins', idpAdminValues: '', ...over,
});

/** IdP metadata listing every given key's certificate for signing (a rollover lists two). */
export function samlMetadata(...keys: IdpKeys[]): string {
  const descriptors = keys.map((k) => k.cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''))
    .map((cert) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`);
  return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${SAML_IDP}">`
    + '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    + descriptors.join('')
    + '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.partner-saml.example/sso"/>'
    + '</md:IDPSSODescriptor></md:EntityDescriptor>';
}

export const samlFields = (id: string, keys: IdpKeys, over: Record<string, string> = {}) => ({
  kind: 'saml', id, partnerId: 'northwind', displayName: `Northwind ${id}`, metadataSource: 'xml', metadataXml: samlMetadata(keys),
  wantResponseSigned: 'on', wantAssertionsSigned: 'on', clockSkewSeconds: '60', roleClaim: 'groups', partnerAdminValues: 'rb-admins', idpAdminValues: '', ...over,
});

/** Erin signs in through an OIDC connection from its start link; returns the callback's answer. */
export async function oidcSignIn(product: Product, id: string): Promise<{ client: HttpClient; res: Res }> {
  const client = new HttpClient();
  const start = await client.get(`${product.url}/auth/${id}/start`);
  expect(start.status).toBe(302);
  const login = await client.follow(await client.get(start.location!));
  const callback = await signInAtDemoIdp(client, login, ERIN.email, ERIN.password, { fetchCallback: false });
  return { client, res: await client.get(callback.location!) };
}

/** Erin signs in through a SAML connection: resetbridge's AuthnRequest, answered by a really signed response. */
export async function samlSignIn(product: Product, id: string, keys: IdpKeys): Promise<{ client: HttpClient; res: Res }> {
  const client = new HttpClient();
  const start = await client.get(`${product.url}/auth/${id}/start`);
  expect(start.status).toBe(302);
  expect(start.location!.startsWith('https://idp.partner-saml.example/sso?')).toBe(true);
  const request = await readRedirectRequest(start.location!);
  const xml = signedResponse({
    issuer: SAML_IDP, audience: `${product.url}/auth/${id}/saml/metadata`, acsUrl: `${product.url}/auth/${id}/saml/acs`,
    inResponseTo: request.id, nameId: ERIN.email, attributes: { email: [ERIN.email], displayName: [ERIN.name], groups: ['rb-admins'] },
  }, keys);
  return { client, res: await client.post(`${product.url}/auth/${id}/saml/acs`, { SAMLResponse: base64(xml) }) };
}
