import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoIdp, type DemoIdp } from '../../src/demo/idp.js';
import { HttpClient, formFields, signInAtDemoIdp, type Res } from '../support/http-client.js';
import { startProduct, type Product } from '../support/product.js';

// OIDC sign-in against the in-process OpenID Provider (src/demo/idp.ts), driven the way a browser
// does it. A second provider at another issuer plays the attacker's IdP. Session lifetimes run on
// a clock the test moves.

let product: Product;
let impostor: DemoIdp;
let offset = 0;
const clock = { now: () => new Date(Date.now() + offset) };
const ALICE = { email: 'alice@northwind-partners.example', password: 'northwind-demo' };

beforeAll(async () => {
  product = await startProduct({ session: { idleMinutes: 30, absoluteHours: 2 } }, { clock });
  impostor = await startDemoIdp({
    port: 0,
    users: [{ email: ALICE.email, password: ALICE.password, name: 'Alice Moreau', groups: ['resetbridge-admins'], clientIds: ['resetbridge-northwind'] }],
    clients: [{ clientId: 'resetbridge-northwind', clientSecret: 'impostor-secret', name: 'resetbridge', redirectUris: [`${product.url}/auth/demo-northwind/callback`] }],
  });
});
afterAll(async () => {
  await impostor?.close();
  await product?.stop();
});

const signInEvents = async () => (await product.store.listAudit()).filter((e) => e.type === 'admin.signin');
const sessionCookie = async (client: HttpClient) => (await client.cookies(product.url)).split('; ').find((c) => c.startsWith('rb.sid='));

/** Starts at /auth/demo-northwind/start and returns the authorization URL resetbridge sent the browser to. */
async function authorizationUrl(client: HttpClient): Promise<URL> {
  const res = await client.get(`${product.url}/auth/demo-northwind/start`);
  expect(res.status).toBe(302);
  return new URL(res.location!);
}

/** Signs in at whichever IdP `url` points to and returns the callback URL the IdP sends the browser to. */
async function callbackFrom(client: HttpClient, url: URL, who = ALICE): Promise<string> {
  const loginPage = await client.follow(await client.get(url.href));
  const res = await signInAtDemoIdp(client, loginPage, who.email, who.password, { fetchCallback: false });
  expect(res.location!.startsWith(`${product.url}/auth/demo-northwind/callback?`)).toBe(true);
  return res.location!;
}

async function expectRefused(client: HttpClient, res: Res, reason: string) {
  expect(res.status).toBe(400);
  expect((await signInEvents()).at(-1)).toMatchObject({ outcome: 'failure', target: 'connection:demo-northwind', detail: { reason } });
  expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
}

async function signIn(): Promise<{ client: HttpClient; landing: Res }> {
  const client = new HttpClient();
  const landing = await client.follow(await client.get(await callbackFrom(client, await authorizationUrl(client))));
  expect(landing.status).toBe(200);
  return { client, landing };
}

describe('OIDC sign-in', () => {
  it('signs in with code + PKCE + state + nonce, under a new session id, with a JIT admin record and an audit event', async () => {
    const client = new HttpClient();
    const url = await authorizationUrl(client);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    const before = await sessionCookie(client);
    expect(before).toBeDefined();
    const callback = await client.get(await callbackFrom(client, url));
    expect(callback.status).toBe(303);
    const after = await sessionCookie(client);
    expect(after).not.toBe(before);
    expect((await client.follow(callback)).text).toContain('Users &amp; Licenses');
    expect((await new HttpClient().get(`${product.url}/admin/customers`, { cookie: before! })).status).toBe(302);
    expect((await signInEvents()).at(-1)).toMatchObject({ outcome: 'success', partnerId: 'northwind', actor: `admin:${ALICE.email}` });
    expect((await product.store.listAdmins('northwind')).some((a) => a.email === ALICE.email && a.connectionId === 'demo-northwind')).toBe(true);
  });

  it('refuses a callback whose state is not the one this browser was given', async () => {
    const client = new HttpClient();
    const callback = new URL(await callbackFrom(client, await authorizationUrl(client)));
    callback.searchParams.set('state', 'forged-state');
    await expectRefused(client, await client.get(callback.href), 'state-mismatch');
  });

  it('refuses an ID token carrying another nonce than the one kept in the session', async () => {
    const client = new HttpClient();
    const url = await authorizationUrl(client);
    url.searchParams.set('nonce', 'a-nonce-this-session-never-made');
    await expectRefused(client, await client.get(await callbackFrom(client, url)), 'nonce-mismatch');
  });

  it('refuses a replayed callback: the code was redeemed and its transaction is gone', async () => {
    const client = new HttpClient();
    const callback = await callbackFrom(client, await authorizationUrl(client));
    expect((await client.get(callback)).status).toBe(303);
    const thief = new HttpClient();
    await expectRefused(thief, await thief.get(callback), 'no-transaction');
    // The same browser, mid-way through a new sign-in, cannot slip the old code in either.
    await authorizationUrl(thief);
    await expectRefused(thief, await thief.get(callback), 'state-mismatch');
  });

  it('refuses a code issued by another issuer answering at this connection\'s callback', async () => {
    const client = new HttpClient();
    const url = await authorizationUrl(client);
    const atImpostor = new URL(url.pathname + url.search, impostor.issuer);
    const callback = await callbackFrom(client, atImpostor);
    expect(new URL(callback).searchParams.get('iss')).toBe(impostor.issuer);
    await expectRefused(client, await client.get(callback), 'iss-mismatch');
  });

  it('tells a person without a mapped role that they have no access, and nothing else', async () => {
    const client = new HttpClient();
    const res = await client.get(await callbackFrom(client, await authorizationUrl(client), { email: 'carol@northwind-partners.example', password: 'northwind-demo' }));
    expect(res.status).toBe(403);
    expect(res.text).toContain('You are signed in but have no access to resetbridge; ask your administrator.');
    expect(res.text).not.toContain('Users &amp; Licenses');
    expect((await signInEvents()).at(-1)).toMatchObject({ outcome: 'failure', detail: { reason: 'no-role' } });
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
  });
});

describe('sessions', () => {
  it('refuses an idle session on the server even though the browser still sends its cookie', async () => {
    const { client } = await signIn();
    offset += 20 * 60_000;
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(200); // activity pushes the expiry on
    offset += 25 * 60_000;
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(200);
    offset += 31 * 60_000; // 76 minutes after sign-in: well inside the absolute lifetime
    expect(await sessionCookie(client)).toBeDefined();
    const res = await client.get(`${product.url}/admin/customers`);
    expect(res.status).toBe(302);
    expect(res.location).toContain('/login');
  });

  it('ends a session at its absolute lifetime even while it is in use, and says so', async () => {
    const { client } = await signIn();
    for (let i = 0; i < 4; i++) {
      offset += 25 * 60_000;
      expect((await client.get(`${product.url}/admin/customers`)).status).toBe(200);
    }
    offset += 25 * 60_000; // 125 minutes after sign-in, the limit is 2 hours
    const res = await client.get(`${product.url}/admin/customers`);
    expect(res.status).toBe(302);
    const login = await client.follow(res);
    expect(login.text).toContain('Your session ended: sessions last at most 2 hours.');
    expect((await product.store.listAudit()).filter((e) => e.type === 'admin.signout').at(-1)).toMatchObject({ detail: { reason: 'absolute-timeout' } });
  });

  it('signs out: the session is gone, the event is recorded, and RP-initiated logout at the IdP is offered without any token in the URL', async () => {
    const { client, landing } = await signIn();
    const res = await client.post(`${product.url}/logout`, formFields(landing.text, 'form[action="/logout"]'));
    expect(res.status).toBe(303);
    expect((await product.store.listAudit()).at(-1)).toMatchObject({ type: 'admin.signout', actor: `admin:${ALICE.email}`, detail: { reason: 'user' } });
    const page = await client.follow(res);
    expect(page.text).toContain('You are signed out of resetbridge.');
    const href = /href="([^"]+)">Sign out of [^<]+ too</.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
    expect(href).toBeDefined();
    const endSession = new URL(href!);
    expect(endSession.origin).toBe(product.demoIssuer);
    expect(endSession.searchParams.get('client_id')).toBe('resetbridge-northwind');
    expect(endSession.searchParams.has('id_token_hint')).toBe(false);
    const atIdp = await client.get(endSession.href);
    expect(atIdp.status).toBe(200);
    expect(atIdp.text).toContain('Do you want to sign out');
    expect((await client.get(`${product.url}/admin/customers`)).status).toBe(302);
  });
});
