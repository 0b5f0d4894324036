import { parse } from 'node-html-parser';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDemoIdp, type DemoIdp, type DemoIdpClient, type DemoIdpUser } from '../../src/demo/idp.js';
import { HttpClient, formFields, formTarget, signInAtDemoIdp, type Res } from '../support/http-client.js';

// Nothing listens here: the tests only capture the final redirect's Location.
const REDIRECT_URI = 'http://localhost:1/oidc/callback';

const clients: DemoIdpClient[] = [
  { clientId: 'app-a', clientSecret: 'secret-a-0123456789', redirectUris: [REDIRECT_URI], name: 'Resetbridge for Acme' },
  { clientId: 'app-b', clientSecret: 'secret-b-0123456789', redirectUris: [REDIRECT_URI], name: 'Resetbridge for Globex' },
  { clientId: 'app-x', clientSecret: 'secret-x-0123456789', redirectUris: [REDIRECT_URI], name: 'Tom & Jerry <Tools>' },
];

const alice: DemoIdpUser = {
  email: 'alice@acme.test',
  password: 'correct horse battery staple',
  name: 'Alice Anders',
  groups: ['staff', 'it-admins'],
  clientIds: ['app-a', 'app-x'],
};
const bob: DemoIdpUser = {
  email: 'bob@globex.test',
  password: 'hunter2-but-longer',
  name: 'Bob Brown',
  groups: ['staff'],
  clientIds: ['app-b'],
};

let idp: DemoIdp;
const logs: string[] = [];
const rp: Record<string, oidc.Configuration> = {};

beforeAll(async () => {
  idp = await startDemoIdp({ port: 0, users: [alice, bob], clients, onLog: (m) => logs.push(m) });
  for (const c of clients) {
    rp[c.clientId] = await oidc.discovery(
      new URL(idp.issuer),
      c.clientId,
      { redirect_uris: c.redirectUris },
      oidc.ClientSecretBasic(c.clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
  }
});

afterAll(async () => {
  await idp?.close();
});

interface Started {
  config: oidc.Configuration;
  codeVerifier: string;
  state: string;
  nonce: string;
  loginPage: Res;
}

/** Starts an authorization request as the relying party and follows the browser to the IdP's page. */
async function startSignIn(http: HttpClient, clientId: string, extra: Record<string, string> = {}): Promise<Started> {
  const config = rp[clientId]!;
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const loginPage = await http.follow(await http.get(url.href));
  return { config, codeVerifier, state, nonce, loginPage };
}

async function redeem(s: Started, callback: string) {
  return oidc.authorizationCodeGrant(s.config, new URL(callback), {
    pkceCodeVerifier: s.codeVerifier,
    expectedState: s.state,
    expectedNonce: s.nonce,
    idTokenExpected: true,
  });
}

/** Signs in at the IdP and returns the callback URL the browser is sent to. */
async function signInToCallback(http: HttpClient, s: Started, user: DemoIdpUser): Promise<string> {
  const res = await signInAtDemoIdp(http, s.loginPage, user.email, user.password, { fetchCallback: false });
  expect(res.status).toBe(303);
  expect(res.location).toBeDefined();
  expect(res.location!.startsWith(`${REDIRECT_URI}?`)).toBe(true);
  return res.location!;
}

function errorText(html: string): string | undefined {
  return parse(html).querySelector('[role="alert"]')?.text.trim();
}

describe('demo IdP', () => {
  it('publishes a discovery document for its issuer with S256 PKCE and the email/profile scopes', () => {
    const meta = rp['app-a']!.serverMetadata();
    expect(meta.issuer).toBe(idp.issuer);
    expect(idp.issuer).toMatch(/^http:\/\/localhost:\d+$/);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    expect(meta.claims_supported).toEqual(expect.arrayContaining(['email', 'email_verified', 'name', 'groups']));
  });

  it('a listed user signs in and the relying party receives email, name and groups in the id token', async () => {
    const http = new HttpClient();
    const s = await startSignIn(http, 'app-a');
    const callback = await signInToCallback(http, s, alice);

    const tokens = await redeem(s, callback);
    const claims = tokens.claims();
    expect(claims).toBeDefined();
    expect(claims).toMatchObject({
      iss: idp.issuer,
      aud: 'app-a',
      email: 'alice@acme.test',
      email_verified: true,
      name: 'Alice Anders',
      groups: ['staff', 'it-admins'],
    });
    expect(typeof claims!.sub).toBe('string');
    expect(claims!.sub).not.toBe('');
  });

  it('the same user gets the same sub on every sign-in, and different users get different subs', async () => {
    const subs: string[] = [];
    for (const [user, clientId] of [[alice, 'app-a'], [alice, 'app-x'], [bob, 'app-b']] as const) {
      const http = new HttpClient();
      const s = await startSignIn(http, clientId);
      const tokens = await redeem(s, await signInToCallback(http, s, user));
      subs.push(String(tokens.claims()!.sub));
    }
    expect(subs[0]).toBe(subs[1]);
    expect(subs[2]).not.toBe(subs[0]);
  });

  it("a wrong password re-renders the form with 'Email or password is incorrect.'", async () => {
    const http = new HttpClient();
    const s = await startSignIn(http, 'app-a');
    const res = await signInAtDemoIdp(http, s.loginPage, alice.email, 'not the password', { fetchCallback: false });

    expect(res.status).toBe(200);
    expect(res.location).toBeUndefined();
    expect(new URL(res.url).origin).toBe(idp.issuer);
    expect(errorText(res.text)).toBe('Email or password is incorrect.');
    // The email is kept, the password is not echoed back.
    const root = parse(res.text);
    expect(root.querySelector('input#email')?.getAttribute('value')).toBe(alice.email);
    expect(root.querySelector('input#password')?.getAttribute('value')).toBeUndefined();
    expect(res.text).not.toContain('not the password');
  });

  it("an unknown email gets the same 'Email or password is incorrect.' message", async () => {
    const http = new HttpClient();
    const s = await startSignIn(http, 'app-a');
    const res = await signInAtDemoIdp(http, s.loginPage, 'mallory@acme.test', alice.password, { fetchCallback: false });
    expect(res.status).toBe(200);
    expect(errorText(res.text)).toBe('Email or password is incorrect.');
  });

  it('a user can correct a wrong password on the re-rendered form and then signs in', async () => {
    const http = new HttpClient();
    const s = await startSignIn(http, 'app-a');
    const retry = await signInAtDemoIdp(http, s.loginPage, alice.email, 'typo', { fetchCallback: false });
    const callback = await signInToCallback(http, { ...s, loginPage: retry }, alice);
    const tokens = await redeem(s, callback);
    expect(tokens.claims()?.email).toBe(alice.email);
  });

  it('a user of another client is refused at the login page', async () => {
    const http = new HttpClient();
    const s = await startSignIn(http, 'app-a');
    const res = await signInAtDemoIdp(http, s.loginPage, bob.email, bob.password, { fetchCallback: false });

    expect(res.status).toBe(200);
    expect(res.location).toBeUndefined();
    expect(errorText(res.text)).toBe('This account cannot sign in to Resetbridge for Acme.');
  });

  it("an IdP session of another client's user does not sign that user in to this client", async () => {
    const http = new HttpClient();
    // Bob signs in to his own company's app: he now has a session at the IdP.
    const first = await startSignIn(http, 'app-b');
    await redeem(first, await signInToCallback(http, first, bob));

    // The same browser is then sent to app-a: no code is issued, the login page comes back with the refusal.
    const second = await startSignIn(http, 'app-a');
    expect(second.loginPage.status).toBe(200);
    expect(new URL(second.loginPage.url).origin).toBe(idp.issuer);
    expect(errorText(second.loginPage.text)).toBe('This account cannot sign in to Resetbridge for Acme.');

    // Someone who may use app-a can still sign in from there.
    const tokens = await redeem(second, await signInToCallback(http, second, alice));
    expect(tokens.claims()?.email).toBe(alice.email);
  });

  it('the login form has fields labelled Email and Password and a Sign in button', async () => {
    const http = new HttpClient();
    const { loginPage } = await startSignIn(http, 'app-a');
    expect(loginPage.status).toBe(200);
    expect(loginPage.headers.get('content-type')).toMatch(/^text\/html/);

    const root = parse(loginPage.text);
    expect(root.querySelector('title')?.text).toBe('Sign in');
    expect(root.querySelector('h1')?.text).toBe('Sign in');
    expect(root.text).toContain('to continue to Resetbridge for Acme');

    const emailLabel = root.querySelector('label[for="email"]');
    const passwordLabel = root.querySelector('label[for="password"]');
    expect(emailLabel?.text.trim()).toBe('Email');
    expect(passwordLabel?.text.trim()).toBe('Password');
    expect(root.querySelector('input#email')?.getAttribute('name')).toBe('email');
    expect(root.querySelector('input#password')?.getAttribute('type')).toBe('password');

    const buttons = root.querySelectorAll('form button');
    expect(buttons.map((b) => b.text.trim())).toEqual(['Sign in']);
    expect(formTarget(loginPage.text, loginPage.url)).toEqual({
      action: expect.stringMatching(new RegExp(`^${idp.issuer}/interaction/[^/]+/login$`)),
      method: 'POST',
    });
    expect(formFields(loginPage.text)).toEqual({});
    // No inline scripts.
    expect(root.querySelectorAll('script')).toHaveLength(0);
  });

  it('the Email field is prefilled from login_hint', async () => {
    const http = new HttpClient();
    const { loginPage } = await startSignIn(http, 'app-a', { login_hint: 'alice@acme.test' });
    expect(parse(loginPage.text).querySelector('input#email')?.getAttribute('value')).toBe('alice@acme.test');
  });

  it('the client name and login_hint are HTML-escaped on the login page', async () => {
    const http = new HttpClient();
    const { loginPage } = await startSignIn(http, 'app-x', { login_hint: '"><script>alert(1)</script>' });
    expect(loginPage.text).toContain('to continue to Tom &amp; Jerry &lt;Tools&gt;');
    expect(loginPage.text).not.toContain('<Tools>');
    expect(loginPage.text).not.toContain('<script>');
    expect(parse(loginPage.text).querySelector('input#email')?.getAttribute('value')).toBe('"><script>alert(1)</script>');
  });

  it('the authorization code cannot be redeemed twice', async () => {
    const http = new HttpClient();
    const s = await startSignIn(http, 'app-a');
    const callback = await signInToCallback(http, s, alice);

    await expect(redeem(s, callback)).resolves.toBeDefined();
    await expect(redeem(s, callback)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('an authorization request without PKCE is refused', async () => {
    const http = new HttpClient();
    const url = oidc.buildAuthorizationUrl(rp['app-a']!, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      state: 'some-state',
    });
    const res = await http.get(url.href);
    expect(res.status).toBe(303);
    const location = new URL(res.location!);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('a code is only redeemable by its own client', async () => {
    const http = new HttpClient();
    const s = await startSignIn(http, 'app-x');
    const callback = await signInToCallback(http, s, alice);
    await expect(redeem({ ...s, config: rp['app-a']! }, callback)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('logged no server or interaction errors while serving the tests above', () => {
    expect(logs.some((l) => l.startsWith('demo-idp listening, issuer http://localhost:'))).toBe(true);
    expect(logs.filter((l) => /server_error|interaction error/.test(l))).toEqual([]);
  });

  it('close() stops the server', async () => {
    const other = await startDemoIdp({ port: 0, users: [alice], clients });
    const discovery = `${other.issuer}/.well-known/openid-configuration`;
    expect((await fetch(discovery)).status).toBe(200);
    await other.close();
    await expect(fetch(discovery)).rejects.toThrow();
  });
});
