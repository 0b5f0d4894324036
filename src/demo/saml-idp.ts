/**
 * A demo SAML 2.0 identity provider standing in for a partner's company IdP: it publishes metadata,
 * takes AuthnRequests and LogoutRequests over the HTTP-Redirect binding (checking their signature
 * when it knows the SP's certificate), shows a sign-in page, and answers with a Response whose
 * Response and Assertion are both really signed (xml-crypto, RSA-SHA256), delivered by an
 * auto-posting HTTP-POST form. The auto-post is a script file of its own, allowed by this IdP's
 * CSP; without scripts a Continue button does the same.
 *
 * It keeps no sign-in session: every AuthnRequest shows the sign-in page. Development only.
 */
import { createPrivateKey, createSign, createVerify, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'node:querystring';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import express, { type Response } from 'express';
import { SignedXml } from 'xml-crypto';

export interface DemoSamlUser {
  email: string;
  password: string;
  name: string;
  groups: string[];
  /** SP entity ids this person may sign in to. */
  spEntityIds: string[];
}

export interface DemoSamlSp {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  name: string;
  /** PEM certificate the SP signs its requests with; when given, unsigned requests are refused. */
  cert?: string;
}

export interface DemoSamlIdp {
  url: string;
  entityId: string;
  metadataUrl: string;
  /** The signing certificate (PEM). */
  cert: string;
  close(): Promise<void>;
}

const NS = { samlp: 'urn:oasis:names:tc:SAML:2.0:protocol', saml: 'urn:oasis:names:tc:SAML:2.0:assertion' };
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const esc = (v: unknown) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const samlId = () => `_${randomBytes(20).toString('hex')}`;
const pemBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

/** Signs the element `local` (Response or Assertion) enveloped, placing ds:Signature after its Issuer. */
function sign(xml: string, local: 'Response' | 'Assertion', key: string, cert: string): string {
  const sig = new SignedXml({ privateKey: key, publicCert: cert, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
  const target = `//*[local-name(.)='${local}']`;
  sig.addReference({
    xpath: target,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

function responseXml(o: { issuer: string; sp: DemoSamlSp; inResponseTo: string; user: DemoSamlUser; now: Date }): string {
  const at = (s: number) => new Date(o.now.getTime() + s * 1000).toISOString();
  const attr = (name: string, values: string[]) =>
    `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
  const assertion = `<saml:Assertion xmlns:saml="${NS.saml}" ID="${samlId()}" Version="2.0" IssueInstant="${at(0)}">`
    + `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="${EMAIL_FORMAT}">${esc(o.user.email)}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${esc(o.inResponseTo)}" NotOnOrAfter="${at(300)}" Recipient="${esc(o.sp.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${at(-60)}" NotOnOrAfter="${at(300)}"><saml:AudienceRestriction><saml:Audience>${esc(o.sp.entityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${at(0)}" SessionIndex="${samlId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + `<saml:AttributeStatement>${attr('email', [o.user.email])}${attr('displayName', [o.user.name])}${attr('groups', o.user.groups)}</saml:AttributeStatement>`
    + '</saml:Assertion>';
  return `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${samlId()}" Version="2.0" IssueInstant="${at(0)}" Destination="${esc(o.sp.acsUrl)}" InResponseTo="${esc(o.inResponseTo)}">`
    + `<saml:Issuer>${esc(o.issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertion}</samlp:Response>`;
}

/** A Redirect-binding message (deflated, base64, query-signed) as the URL to send the browser to. */
async function redirectUrl(target: string, param: 'SAMLResponse', xml: string, relayState: string | undefined, key: string): Promise<string> {
  const encoded = (await promisify(deflateRaw)(Buffer.from(xml, 'utf8'))).toString('base64');
  let query = `${param}=${encodeURIComponent(encoded)}${relayState ? `&RelayState=${encodeURIComponent(relayState)}` : ''}&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  query += `&Signature=${encodeURIComponent(createSign('RSA-SHA256').update(query).sign(key, 'base64'))}`;
  return `${target}${target.includes('?') ? '&' : '?'}${query}`;
}

/** Reads a Redirect-binding request; checks its query signature (as sent, byte for byte) when the SP's certificate is known. */
async function readRedirect(rawQuery: string, param: 'SAMLRequest', certFor: (issuer: string) => DemoSamlSp | undefined) {
  const raw = new Map(rawQuery.split('&').map((kv) => [kv.split('=')[0] ?? '', kv.slice(kv.indexOf('=') + 1)]));
  const value = (k: string) => (raw.has(k) ? decodeURIComponent(raw.get(k)!.replace(/\+/g, ' ')) : undefined);
  const message = value(param);
  if (!message) throw new Error(`${param} is missing`);
  const xml = (await promisify(inflateRaw)(Buffer.from(message, 'base64'))).toString('utf8');
  const root = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml').documentElement;
  const issuer = root?.getElementsByTagNameNS(NS.saml, 'Issuer')[0]?.textContent?.trim() ?? '';
  const sp = certFor(issuer);
  if (!root || !sp) throw new Error('request from an unknown service provider');
  if (sp.cert) {
    const signature = value('Signature');
    if (!signature || value('SigAlg') !== RSA_SHA256) throw new Error('request is not signed (RSA-SHA256 expected)');
    const keys = [param, 'RelayState', 'SigAlg'].filter((k) => raw.has(k));
    // As sent, byte for byte; node-saml signs querystring's encoding, which can differ from the URL's.
    const candidates = [keys.map((k) => `${k}=${raw.get(k)}`).join('&'), stringify(Object.fromEntries(keys.map((k) => [k, value(k)])))];
    if (!candidates.some((signed) => createVerify('RSA-SHA256').update(signed).verify(sp.cert!, signature, 'base64'))) throw new Error('request signature does not verify');
  }
  return { sp, id: root.getAttribute('ID') ?? '', acs: root.getAttribute('AssertionConsumerServiceURL'), relayState: value('RelayState') };
}

const CSS = 'body{font:16px/1.45 system-ui,sans-serif;background:#f3efe6;color:#222;display:flex;justify-content:center;margin:0}'
  + 'main{background:#fff;max-width:380px;width:100%;margin:48px 16px;padding:28px;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}'
  + 'label{display:block;font-weight:600;margin:14px 0 4px}input{width:100%;padding:9px;font:inherit;border:1px solid #888;border-radius:5px;box-sizing:border-box}'
  + 'button{margin-top:20px;width:100%;padding:10px;font:inherit;font-weight:600;background:#8a4b08;color:#fff;border:0;border-radius:5px}'
  + '.error{background:#fde8e8;color:#9b1c1c;padding:8px 12px;border-radius:5px}.idp{color:#666;font-size:.8rem;text-align:center}';

function page(res: Response, title: string, body: string, formAction = "'self'"): void {
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'self'; form-action ${formAction}; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.send(`<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><link rel="stylesheet" href="/saml-idp.css"></head>\n<body><main>\n${body}\n</main></body></html>\n`);
}

export async function startDemoSamlIdp(opts: {
  port: number; host?: string; publicHost?: string; users: DemoSamlUser[]; sps: DemoSamlSp[]; onLog?: (msg: string) => void;
}): Promise<DemoSamlIdp> {
  const log = opts.onLog ?? (() => {});
  const { generate } = await import('selfsigned'); // a development dependency: loaded only when the demo runs
  const pems = await generate([{ name: 'commonName', value: 'resetbridge demo SAML IdP' }], { keySize: 2048, algorithm: 'sha256' });
  const key = createPrivateKey(pems.private).export({ format: 'pem', type: 'pkcs8' }).toString();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const url = `http://${opts.publicHost ?? 'localhost'}:${(server.address() as AddressInfo).port}`;
  const entityId = `${url}/metadata`;
  const spByEntity = new Map(opts.sps.map((sp) => [sp.entityId, sp]));
  const users = new Map(opts.users.map((u) => [u.email.toLowerCase(), u]));
  const pending = new Map<string, { sp: DemoSamlSp; requestId: string; relayState: string | undefined; until: number }>();

  const loginForm = (uid: string, spName: string, email: string, error?: string) => `<h1>Sign in</h1><p>to continue to ${esc(spName)}</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>\n` : ''}<form method="post" action="/login">
<input type="hidden" name="uid" value="${esc(uid)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(email)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form><p class="idp">Demo SAML IdP · ${esc(new URL(url).host)}</p>`;

  const app = express();
  app.disable('x-powered-by');
  // Browsers ask for a favicon; answer instead of logging a 404 on every page.
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.get('/saml-idp.css', (_req, res) => void res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(CSS));
  app.get('/autopost.js', (_req, res) => void res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send("document.getElementById('saml-post').submit();\n"));

  app.get('/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(pems.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="${REDIRECT}" Location="${esc(url)}/slo"/>
    <md:NameIDFormat>${EMAIL_FORMAT}</md:NameIDFormat>
    <md:SingleSignOnService Binding="${REDIRECT}" Location="${esc(url)}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`);
  });

  app.get('/sso', async (req, res) => {
    let request;
    try {
      request = await readRedirect(req.url.split('?')[1] ?? '', 'SAMLRequest', (issuer) => spByEntity.get(issuer));
    } catch (e) {
      log(`demo-saml-idp: refused an AuthnRequest: ${(e as Error).message}`);
      res.status(400);
      return page(res, 'Sign-in error', `<h1>Sign-in error</h1><p>This sign-in request is not valid. Go back to the application and start again.</p>`);
    }
    if (request.acs && request.acs !== request.sp.acsUrl) {
      res.status(400);
      return page(res, 'Sign-in error', '<h1>Sign-in error</h1><p>This application asked for an answer at an address it has not registered.</p>');
    }
    for (const [id, p] of pending) if (p.until < Date.now()) pending.delete(id);
    const uid = randomUUID();
    pending.set(uid, { sp: request.sp, requestId: request.id, relayState: request.relayState, until: Date.now() + 10 * 60_000 });
    page(res, 'Sign in', loginForm(uid, request.sp.name, ''));
  });

  app.post('/login', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    const waiting = pending.get(String(body.uid));
    if (!waiting || waiting.until < Date.now()) {
      res.status(400);
      return page(res, 'Sign-in expired', '<h1>Sign-in expired</h1><p>This sign-in has expired. Go back to the application and start again.</p>');
    }
    const email = String(body.email ?? '');
    const user = users.get(email.trim().toLowerCase());
    if (!user || user.password !== String(body.password ?? '')) return page(res, 'Sign in', loginForm(String(body.uid), waiting.sp.name, email, 'Email or password is incorrect.'));
    if (!user.spEntityIds.includes(waiting.sp.entityId)) return page(res, 'Sign in', loginForm(String(body.uid), waiting.sp.name, email, `This account cannot sign in to ${waiting.sp.name}.`));
    pending.delete(String(body.uid));
    const unsigned = responseXml({ issuer: entityId, sp: waiting.sp, inResponseTo: waiting.requestId, user, now: new Date() });
    const signed = sign(sign(unsigned, 'Assertion', key, pems.cert), 'Response', key, pems.cert);
    log(`demo-saml-idp: ${user.email} signed in to ${waiting.sp.entityId}`);
    page(res, 'Signing in…', `<h1>Signing in…</h1>
<form method="post" action="${esc(waiting.sp.acsUrl)}" id="saml-post">
<input type="hidden" name="SAMLResponse" value="${Buffer.from(signed, 'utf8').toString('base64')}">
${waiting.relayState ? `<input type="hidden" name="RelayState" value="${esc(waiting.relayState)}">\n` : ''}<noscript><button type="submit">Continue</button></noscript>
</form>
<script src="/autopost.js"></script>`, new URL(waiting.sp.acsUrl).origin);
  });

  app.get('/slo', async (req, res) => {
    try {
      const request = await readRedirect(req.url.split('?')[1] ?? '', 'SAMLRequest', (issuer) => spByEntity.get(issuer));
      const xml = `<samlp:LogoutResponse xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${samlId()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${esc(request.sp.sloUrl)}" InResponseTo="${esc(request.id)}">`
        + `<saml:Issuer>${esc(entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
      res.redirect(303, await redirectUrl(request.sp.sloUrl, 'SAMLResponse', xml, request.relayState, key));
    } catch (e) {
      log(`demo-saml-idp: refused a LogoutRequest: ${(e as Error).message}`);
      res.status(400);
      page(res, 'Sign-out error', '<h1>Sign-out error</h1><p>This sign-out request is not valid.</p>');
    }
  });

  server.on('request', app);
  log(`demo-saml-idp listening, metadata ${entityId}`);
  let closing: Promise<void> | undefined;
  return {
    url, entityId, metadataUrl: entityId, cert: pems.cert,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
