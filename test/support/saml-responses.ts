/**
 * SAML Responses made the way an IdP makes them — XML signed with xml-crypto (RSA-SHA256, exclusive
 * c14n, enveloped) — plus the ways attackers bend them, one function per scenario. Used to post
 * real, really signed (or deliberately mis-signed) responses at resetbridge's ACS.
 */
import { createSign, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { generate } from 'selfsigned';
import { SignedXml } from 'xml-crypto';

export interface IdpKeys {
  key: string;
  cert: string;
}

export async function makeIdpKeys(name = 'test SAML IdP'): Promise<IdpKeys> {
  const pems = await generate([{ name: 'commonName', value: name }], { keySize: 2048, algorithm: 'sha256' });
  return { key: pems.private, cert: pems.cert };
}

export interface ResponseOptions {
  issuer: string;
  audience: string;
  /** ACS URL: Destination and Recipient unless overridden. */
  acsUrl: string;
  recipient?: string;
  /** null leaves the attribute out. */
  destination?: string | null;
  /** null leaves InResponseTo out (an unsolicited, IdP-initiated response). */
  inResponseTo: string | null;
  nameId: string;
  attributes?: Record<string, string[]>;
  now?: Date;
  /** Seconds from now; defaults keep the assertion valid for five minutes. */
  notBefore?: number;
  conditionsNotOnOrAfter?: number;
  subjectNotOnOrAfter?: number;
  assertionId?: string;
}

const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const samlId = () => `_${randomBytes(16).toString('hex')}`;
const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';

export function assertionXml(o: ResponseOptions): string {
  const now = (o.now ?? new Date()).getTime();
  const at = (s: number) => new Date(now + s * 1000).toISOString();
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
  const attrs = Object.entries(o.attributes ?? {})
    .map(([name, values]) => `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
    .join('');
  return `<saml:Assertion xmlns:saml="${A}" ID="${o.assertionId ?? samlId()}" Version="2.0" IssueInstant="${at(0)}">`
    + `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(o.nameId)}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} NotOnOrAfter="${at(o.subjectNotOnOrAfter ?? 300)}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${at(o.notBefore ?? -30)}" NotOnOrAfter="${at(o.conditionsNotOnOrAfter ?? 300)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="${samlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '')
    + '</saml:Assertion>';
}

/** An unsigned Response around `assertion` (built from `o` unless given). */
export function responseXml(o: ResponseOptions, assertion = assertionXml(o)): string {
  const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.acsUrl)}"`;
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
  return `<samlp:Response xmlns:samlp="${P}" xmlns:saml="${A}" ID="${samlId()}" Version="2.0" IssueInstant="${(o.now ?? new Date()).toISOString()}"${destination}${irt}>`
    + `<saml:Issuer>${esc(o.issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
    + `${assertion}</samlp:Response>`;
}

/** Enveloped signature over the first element named `local`, placed after its Issuer (schema order). */
export function signElement(xml: string, local: 'Response' | 'Assertion', keys: IdpKeys): string {
  const sig = new SignedXml({
    privateKey: keys.key, publicCert: keys.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const target = local === 'Response' ? "/*[local-name(.)='Response']" : "//*[local-name(.)='Assertion']";
  sig.addReference({
    xpath: target,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

/** A Response signed as a well-behaved IdP signs it: the Assertion, then the Response around it. */
export function signedResponse(o: ResponseOptions, keys: IdpKeys, sign: { response?: boolean; assertion?: boolean } = {}): string {
  let assertion = assertionXml(o);
  if (sign.assertion ?? true) assertion = signElement(assertion, 'Assertion', keys);
  const response = responseXml(o, assertion);
  return sign.response ?? true ? signElement(response, 'Response', keys) : response;
}

/** Signature wrapping: a second, unsigned assertion for `nameId` inserted before the signed one. */
export function insertEvilAssertion(signedXml: string, o: ResponseOptions, nameId: string): string {
  const evil = assertionXml({ ...o, nameId, assertionId: samlId() });
  return signedXml.replace(/<saml:Assertion /, `${evil}<saml:Assertion `);
}

/** Signature wrapping, the other way: the signed assertion moved into Extensions, an unsigned one in its place. */
export function hideSignedAssertion(signedXml: string, o: ResponseOptions, nameId: string): string {
  const start = signedXml.indexOf('<saml:Assertion ');
  const end = signedXml.lastIndexOf('</saml:Assertion>') + '</saml:Assertion>'.length;
  const signed = signedXml.slice(start, end);
  const evil = assertionXml({ ...o, nameId, assertionId: samlId() });
  return signedXml.slice(0, start).replace('<samlp:Status>', `<samlp:Extensions>${signed}</samlp:Extensions><samlp:Status>`) + evil + signedXml.slice(end);
}

/** Edits the NameID text after signing (what an attacker with a captured response would try). */
export function tamperNameId(xml: string, nameId: string): string {
  return xml.replace(/(<saml:NameID[^>]*>)[^<]*(<\/saml:NameID>)/, `$1${esc(nameId)}$2`);
}

export const base64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** The AuthnRequest (or LogoutRequest) carried by an HTTP-Redirect binding URL. */
export async function readRedirectRequest(url: string): Promise<{ id: string; issuer: string; acs: string | null; xml: string; params: URLSearchParams }> {
  const params = new URL(url).searchParams;
  const xml = (await promisify(inflateRaw)(Buffer.from(params.get('SAMLRequest') ?? '', 'base64'))).toString('utf8');
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement!;
  return {
    id: root.getAttribute('ID') ?? '',
    issuer: root.getElementsByTagNameNS(A, 'Issuer')[0]?.textContent ?? '',
    acs: root.getAttribute('AssertionConsumerServiceURL'),
    xml, params,
  };
}

/** A LogoutRequest from the IdP over HTTP-Redirect, query-signed with `keys` unless `signed` is false. */
export async function logoutRequestUrl(o: { sloUrl: string; issuer: string; nameId: string; keys: IdpKeys; signed?: boolean }): Promise<string> {
  const xml = `<samlp:LogoutRequest xmlns:samlp="${P}" xmlns:saml="${A}" ID="${samlId()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${esc(o.sloUrl)}">`
    + `<saml:Issuer>${esc(o.issuer)}</saml:Issuer><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(o.nameId)}</saml:NameID></samlp:LogoutRequest>`;
  const encoded = (await promisify(deflateRaw)(Buffer.from(xml, 'utf8'))).toString('base64');
  let query = `SAMLRequest=${encodeURIComponent(encoded)}&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}`;
  if (o.signed ?? true) query += `&Signature=${encodeURIComponent(createSign('RSA-SHA256').update(query).sign(o.keys.key, 'base64'))}`;
  return `${o.sloUrl}?${query}`;
}
