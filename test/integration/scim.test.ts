// The SCIM adapter against a real SCIM 2.0 server (scimmy + scimmy-routers): every answer class of
// ADAPTERS.md §2 is produced by the server, not by a mock.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import plugin from '../../plugins/scim/index.js';
import type { Adapter, DirectoryAccount, SetPasswordOptions } from '../../src/sync/contract.js';
import { startScimServer } from '../support/scim-server.js';
import type { ScimServer, ScimServerOptions } from '../support/scim-server.js';

const INITIAL = 'Initial-Scim-Pass-1';
const NEW = 'Brand-New-Scim-Pass-2';
const opts = (isRetry = false): SetPasswordOptions => ({ reason: 'self-service', attemptId: 'attempt-1', isRetry });

let server: ScimServer | undefined;
let logs: unknown[] = [];
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(options: ScimServerOptions = {}): Promise<ScimServer> {
  server = await startScimServer({
    minLength: 12,
    users: [{ userName: 'alice@acme.example', password: INITIAL, emails: ['Alice@Acme.example'], externalId: 'acme-0001' }],
    ...options,
  });
  return server;
}

async function adapterFor(s: ScimServer, config: Record<string, unknown> = {}): Promise<Adapter> {
  logs = [];
  const record = (level: string) => (obj: object, msg?: string) => void logs.push({ level, obj, msg });
  return plugin.create(
    plugin.configSchema.parse({ baseUrl: s.url, token: s.token, allowInsecureHttp: true, ...config }),
    { logger: { info: record('info'), warn: record('warn'), error: record('error') }, clock: { now: () => new Date() }, fetch, dataDir: '/nonexistent' },
  );
}

async function caught(work: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await work;
  } catch (e) {
    return e as Record<string, unknown>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The password and the token appear nowhere a person or a log could read them. */
function expectNoSecrets(things: unknown[], secrets: string[]) {
  for (const thing of things) {
    const e = thing as { message?: unknown; stack?: unknown };
    const texts = [String(e?.message), String(e?.stack), JSON.stringify(thing), inspect(thing, { depth: 6 })];
    for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
  }
}

async function alice(a: Adapter): Promise<DirectoryAccount> {
  const account = await a.resolveAccount({ by: 'login', value: 'alice@acme.example' });
  if (!account) throw new Error('alice does not resolve');
  return account;
}

describe('scim adapter against a real SCIM server', () => {
  it('sets the password with a PatchOp replace on "password", as application/scim+json, never in a URL', async () => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    expect(await a.setPassword(account, NEW, opts())).toEqual({ applied: true, sessionsRevoked: 'unknown' });
    expect(await s.checkPassword(account.targetUserId, NEW)).toBe(true);
    const patch = s.requests.find((r) => r.method === 'PATCH');
    expect(patch).toMatchObject({ contentType: 'application/scim+json', operations: [{ op: 'replace', path: 'password' }] });
    for (const r of s.requests) expect(decodeURIComponent(r.url)).not.toContain(NEW);
  });

  it('finds users by userName ignoring case, by email, and by externalId exactly', async () => {
    const s = await start();
    const a = await adapterFor(s);
    const id = s.idOf('alice@acme.example');
    expect(await a.resolveAccount({ by: 'login', value: 'ALICE@acme.EXAMPLE' })).toMatchObject({ targetUserId: id, canonicalName: 'alice@acme.example' });
    expect(await a.resolveAccount({ by: 'email', value: 'alice@acme.example' })).toMatchObject({ targetUserId: id });
    expect(await a.resolveAccount({ by: 'externalId', value: 'acme-0001' })).toMatchObject({ targetUserId: id });
    expect(await a.resolveAccount({ by: 'externalId', value: 'ACME-0001' })).toBeNull();
    expect(await a.resolveAccount({ by: 'id', value: id! })).toMatchObject({ targetUserId: id });
    expect(await a.resolveAccount({ by: 'id', value: 'no-such-id' })).toBeNull();
  });

  it('quotes and escapes the filter value as a JSON string and URL-encodes it', async () => {
    const tricky = 'o"brien\\sales+ops & co #1 100%';
    const s = await start({ users: [{ userName: tricky, password: INITIAL }, { userName: 'o"brien', password: INITIAL }] });
    const a = await adapterFor(s);
    expect(await a.resolveAccount({ by: 'login', value: tricky })).toMatchObject({ targetUserId: s.idOf(tricky), canonicalName: tricky });
    const search = s.requests.find((r) => r.url.includes('filter='))!;
    const filter = new URL(search.url, 'http://x').searchParams.get('filter');
    expect(filter).toBe(`userName eq ${JSON.stringify(tricky)}`);
    // Spelled out rather than rebuilt with URLSearchParams, so the test does not share the client's encoder.
    expect(search.url).toContain('filter=userName+eq+%22o%5C%22brien%5C%5Csales%2Bops+%26+co+%231+100%25%22&');
  });

  it('answers null for an unknown user and NF when the user id is gone', async () => {
    const s = await start();
    const a = await adapterFor(s);
    expect(await a.resolveAccount({ by: 'login', value: 'nobody@acme.example' })).toBeNull();
    const account = await alice(a);
    s.removeUser(account.targetUserId);
    expect(await caught(a.setPassword(account, NEW, opts()))).toMatchObject({ class: 'NF', providerStatus: 404 });
  });

  it('reports an ambiguous userName or email as a configuration error, not a pick', async () => {
    const s = await start({ users: [
      { userName: 'dup@acme.example', password: INITIAL, emails: ['shared@acme.example'] },
      { userName: 'DUP@acme.example', password: INITIAL, emails: ['shared@acme.example'] },
    ] });
    const a = await adapterFor(s);
    expect(await caught(a.resolveAccount({ by: 'login', value: 'dup@acme.example' }))).toMatchObject({ class: 'C', reason: 'AMBIGUOUS_USER' });
    expect(await caught(a.resolveAccount({ by: 'email', value: 'shared@acme.example' }))).toMatchObject({ class: 'C', reason: 'AMBIGUOUS_USER' });
  });

  it('refuses to pick from a search answer that ignored the filter', async () => {
    const s = await start({ ignoreFilter: true, users: [
      { userName: 'zed@acme.example', password: INITIAL },
      { userName: 'alice@acme.example', password: INITIAL },
    ] });
    const a = await adapterFor(s);
    expect(await caught(a.resolveAccount({ by: 'login', value: 'alice@acme.example' }))).toMatchObject({ class: 'C', reason: 'BAD_TARGET_CONFIG' });
  });

  it('turns a too-short rejection into words for the user and keeps the old password', async () => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    const err = await caught(a.setPassword(account, 'Tiny-9', opts()));
    expect(err).toMatchObject({
      class: 'P', name: 'PolicyRejectedError', providerStatus: 400, providerCode: 'invalidValue',
      violations: [{ reason: 'TOO_SHORT', message: 'This password is too short. Use at least 12 characters.' }],
    });
    expect(err.safeDiagnostic).toContain('at least 12 characters');
    expect(await s.checkPassword(account.targetUserId, INITIAL)).toBe(true);
  });

  it.each([
    ['Password must contain at least one uppercase letter and one digit.', 'invalidValue',
      [['MISSING_UPPER', 'Include at least one capital letter.'], ['MISSING_DIGIT', 'Include at least one digit.']]],
    ['Password length must be at most 64 characters', 'invalidValue', [['TOO_LONG', 'This password is too long. Use at most 64 characters.']]],
    ['Password is too common', 'invalidValue', [['DICTIONARY_OR_BANNED', expect.stringContaining('too common')]]],
    ['Password must not contain the user name', 'invalidValue', [['CONTAINS_USER_INFO', expect.stringContaining('user name')]]],
    ['Passwords cannot be changed during the quarterly freeze.', 'invalidValue',
      [['GENERIC', 'Passwords cannot be changed during the quarterly freeze.']]],
    ["Attribute 'password' expected value type 'string' but got 'number'", 'invalidValue',
      [['GENERIC', 'The directory refused this password without a reason we can show. Try a different, longer password.']]],
    ['The password does not meet the complexity policy', undefined, [['GENERIC', 'The password does not meet the complexity policy']]],
  ])('words the server detail "%s" (%s) for the user', async (detail, scimType, expected) => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    await a.testConnection();
    s.failNext(1, { status: 400, ...(scimType ? { scimType } : {}), detail }, 'PATCH');
    const err = await caught(a.setPassword(account, NEW, opts()));
    expect(err).toMatchObject({ class: 'P', violations: expected.map(([reason, message]) => ({ reason, message })) });
  });

  it('turns a history rejection into words, and into "probably applied" on a retry', async () => {
    const s = await start({ historySize: 2 });
    const a = await adapterFor(s);
    const account = await alice(a);
    expect(await caught(a.setPassword(account, INITIAL, opts()))).toMatchObject({
      class: 'P', violations: [{ reason: 'IN_HISTORY', message: 'This password was used recently. Choose one you have not used before.' }],
    });
    await a.setPassword(account, NEW, opts());
    expect(await a.setPassword(account, NEW, opts(true))).toEqual({ applied: 'probable', sessionsRevoked: 'unknown' });
  });

  it('keeps a password echoed by the server out of every error and log line', async () => {
    const s = await start({ historySize: 1, echoPassword: true });
    const a = await adapterFor(s);
    const account = await alice(a);
    const short = 'Qx7-short';
    const tooShort = await caught(a.setPassword(account, short, opts()));
    const reused = await caught(a.setPassword(account, INITIAL, opts()));
    expect(tooShort).toMatchObject({ class: 'P', violations: [{ reason: 'TOO_SHORT' }] });
    expect(tooShort.safeDiagnostic).toContain('••••');
    expect(reused).toMatchObject({ class: 'P', violations: [{ reason: 'IN_HISTORY' }] });
    expectNoSecrets([tooShort, reused, logs], [short, INITIAL, s.token]);
  });

  it('falls back to the PATCH form without a path when the server refuses the "password" path, and remembers it', async () => {
    const s = await start({ passwordPath: 'invalidPath' });
    const a = await adapterFor(s);
    const account = await alice(a);
    await a.setPassword(account, NEW, opts());
    expect(await s.checkPassword(account.targetUserId, NEW)).toBe(true);
    const ops = () => s.requests.filter((r) => r.method === 'PATCH').map((r) => r.operations[0]);
    expect(ops()).toEqual([{ op: 'replace', path: 'password' }, { op: 'replace', valueKeys: ['password'] }]);
    await a.setPassword(await alice(a), 'Third-Scim-Pass-3', opts());
    expect(ops()).toHaveLength(3);
    expect(ops()[2]).toEqual({ op: 'replace', valueKeys: ['password'] });
    expectNoSecrets([logs], [NEW, 'Third-Scim-Pass-3', s.token]);
  });

  it('sends If-Match with meta.version and, on 412, reads the user again and retries once', async () => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    s.touch(account.targetUserId);
    await a.setPassword(account, NEW, opts());
    expect(await s.checkPassword(account.targetUserId, NEW)).toBe(true);
    const steps = s.requests.slice(-3).map((r) => `${r.method} ${r.ifMatch ?? '-'}`);
    expect(steps).toEqual(['PATCH W/"1"', 'GET -', 'PATCH W/"2"']);
  });

  it('reports a conflict that persists after one re-read as transient CONFLICT_RETRY', async () => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    await a.testConnection();
    s.failNext(2, { status: 412, detail: 'Resource version mismatch' }, 'PATCH');
    expect(await caught(a.setPassword(account, NEW, opts()))).toMatchObject({ class: 'T', reason: 'CONFLICT_RETRY', providerStatus: 412 });
    expect(s.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('maps 503 with Retry-After seconds and 429 with an HTTP date to transient errors carrying retryAfterMs', async () => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    await a.testConnection();
    s.failNext(1, { status: 503, retryAfter: '7', detail: 'Down for maintenance' });
    expect(await caught(a.setPassword(account, NEW, opts()))).toMatchObject({
      class: 'T', reason: 'UNAVAILABLE', retryAfterMs: 7000, outcomeUnknown: false, providerStatus: 503,
    });
    s.failNext(1, { status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() });
    const limited = await caught(a.setPassword(account, NEW, opts()));
    expect(limited).toMatchObject({ class: 'T', reason: 'RATE_LIMITED' });
    expect(limited.retryAfterMs).toBeGreaterThan(25_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(await s.checkPassword(account.targetUserId, INITIAL)).toBe(true);
    expect(await a.setPassword(account, NEW, opts(true))).toMatchObject({ applied: true });
  });

  it.each([
    [500, undefined, 'T', undefined],
    [501, undefined, 'C', 'UNSUPPORTED'],
    [403, undefined, 'C', 'FORBIDDEN'],
    [400, 'mutability', 'C', 'UNSUPPORTED'],
    [400, 'invalidSyntax', 'C', 'BAD_TARGET_CONFIG'],
  ])('maps a PATCH answered %i %s to class %s', async (status, scimType, cls, reason) => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    await a.testConnection();
    s.failNext(1, { status, ...(scimType ? { scimType } : {}), detail: 'refused' }, 'PATCH');
    const err = await caught(a.setPassword(account, NEW, opts()));
    expect(err).toMatchObject({ class: cls, providerStatus: status });
    if (reason) expect(err.reason).toBe(reason);
  });

  it('treats a bad token as a configuration error (AUTH_FAILED) without asking again', async () => {
    const s = await start();
    const raw = await fetch(`${s.url}/Users`, { headers: { authorization: 'Bearer wrong-token' } });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const a = await adapterFor(s, { token: 'wrong-token' });
    const before = s.requests.length;
    const err = await caught(a.resolveAccount({ by: 'login', value: 'alice@acme.example' }));
    expect(err).toMatchObject({ class: 'C', reason: 'AUTH_FAILED', providerStatus: 401 });
    expect(s.requests.length - before).toBe(1);
    // Some servers repeat the token they refused.
    s.failNext(1, { status: 401, detail: 'The token wrong-token is not known here' });
    const health = await a.testConnection();
    expect(health.ok).toBe(false);
    expect(health.message).toContain('token');
    expectNoSecrets([err, health, logs], ['wrong-token', s.token]);
  });

  it('reports changePassword unsupported: testConnection not ok, set refused as UNSUPPORTED without a PATCH', async () => {
    const s = await start({ changePassword: false });
    const a = await adapterFor(s);
    const health = await a.testConnection();
    expect(health).toEqual({ ok: false, message: expect.stringContaining('changePassword.supported is false') });
    const account = await alice(a);
    expect(await caught(a.setPassword(account, NEW, opts()))).toMatchObject({ class: 'C', reason: 'UNSUPPORTED' });
    expect(s.requests.some((r) => r.method === 'PATCH')).toBe(false);
  });

  it('reports a stopped server as transient, with the outcome known (nothing was sent)', async () => {
    const s = await start();
    const a = await adapterFor(s);
    const account = await alice(a);
    await a.testConnection();
    await s.stop();
    expect(await caught(a.setPassword(account, NEW, opts()))).toMatchObject({
      class: 'T', reason: 'UNAVAILABLE', outcomeUnknown: false, providerCode: 'ECONNREFUSED',
    });
    expect((await a.testConnection()).ok).toBe(false);
  });

  it('reports a timeout after the PATCH went out as transient with the outcome unknown — and it did land', async () => {
    const s = await start();
    const a = await adapterFor(s, { timeoutMs: 300 });
    const account = await alice(a);
    await a.testConnection();
    s.delayNext(1, 1500);
    const started = Date.now();
    const err = await caught(a.setPassword(account, NEW, opts()));
    expect(Date.now() - started).toBeLessThan(1200);
    expect(err).toMatchObject({ class: 'T', reason: 'TIMEOUT', outcomeUnknown: true });
    expect(await s.checkPassword(account.targetUserId, NEW)).toBe(false);
    // The server goes on with the request after the client gave up: that is why the outcome is unknown.
    await expect.poll(() => s.checkPassword(account.targetUserId, NEW), { timeout: 5000, interval: 100 }).toBe(true);
  });

  it('reports a timed-out lookup as transient with the outcome known: a read changes nothing', async () => {
    const s = await start();
    const a = await adapterFor(s, { timeoutMs: 300 });
    s.delayNext(1, 800);
    expect(await caught(a.resolveAccount({ by: 'login', value: 'alice@acme.example' }))).toMatchObject({
      class: 'T', reason: 'TIMEOUT', outcomeUnknown: false,
    });
  });

  it('does not follow a redirect, so the token never goes to another address', async () => {
    const s = await start();
    const a = await adapterFor(s);
    s.failNext(1, { status: 307, headers: { Location: 'http://127.0.0.1:9/elsewhere/Users' } });
    const err = await caught(a.resolveAccount({ by: 'login', value: 'alice@acme.example' }));
    expect(err).toMatchObject({ class: 'C', reason: 'BAD_TARGET_CONFIG', providerStatus: 307 });
    expect(err.message).toContain('http://127.0.0.1:9/elsewhere/Users');
  });

  it('says in testConnection that the base URL is wrong when there is no SCIM root there', async () => {
    const s = await start();
    const a = await adapterFor(s, { baseUrl: s.url.replace('/scim/v2', '/scim') });
    const health = await a.testConnection();
    expect(health.ok).toBe(false);
    expect(health.message).toMatch(/base URL/);
  });
});

describe('scim configuration', () => {
  const base = { baseUrl: 'https://idp.example/scim/v2', token: 'abc' };
  const problems = (config: object) => {
    const r = plugin.configSchema.safeParse(config);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts an https base URL and fills the defaults', () => {
    expect(plugin.configSchema.parse(base)).toEqual({ ...base, timeoutMs: 5000, ifMatch: true, emailAttribute: 'emails.value', allowInsecureHttp: false });
  });

  it('refuses http:// unless allowed, credentials in the URL, a token with spaces, and unknown keys', () => {
    expect(problems({ ...base, baseUrl: 'http://idp.example/scim/v2' })).toEqual([expect.stringMatching(/^baseUrl: use https:\/\//)]);
    expect(problems({ ...base, baseUrl: 'http://127.0.0.1/scim/v2', allowInsecureHttp: true })).toEqual([]);
    expect(problems({ ...base, baseUrl: 'https://u:p@idp.example/scim/v2' })).toEqual([expect.stringMatching(/^baseUrl: must not carry credentials/)]);
    const spaced = problems({ ...base, token: 'abc def' });
    expect(spaced).toEqual([expect.stringMatching(/^token: /)]);
    expect(spaced.join()).not.toContain('abc def');
    expect(problems({ ...base, tokne: 'x' })).toHaveLength(1);
  });
});
