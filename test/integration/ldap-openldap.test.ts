// The ldap plugin in openldap mode against a real slapd: ppolicy with 12 characters and 3 remembered
// passwords, a write-only service account, StartTLS on ldap:// (plain binds refused) and LDAPS.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../../plugins/ldap/index.js';
import type { LdapAdapter, LdapConfigInput } from '../../plugins/ldap/index.js';
import type { DirectoryAccount, PluginContext } from '../../src/sync/contract.js';
import { startSlapd, type Slapd } from '../support/slapd.js';

const INITIAL = 'Initial-Passw0rd-42';
const ctx: PluginContext = { logger: { info() {}, warn() {}, error() {} }, clock: { now: () => new Date() }, fetch, dataDir: '/nonexistent' };
const opts = (isRetry = false) => ({ reason: 'self-service' as const, attemptId: 'attempt-1', isRetry });

let slapd: Slapd;
let users = 0;

beforeAll(async () => {
  slapd = await startSlapd({ minLength: 12, inHistory: 3 });
});
afterAll(async () => {
  await slapd?.dispose();
});

async function adapter(overrides: Partial<LdapConfigInput> = {}): Promise<LdapAdapter> {
  return await plugin.create(plugin.configSchema.parse({
    mode: 'openldap', url: slapd.ldapUrl, tls: { caCert: slapd.caCert },
    bindDn: slapd.serviceDn, bindPassword: slapd.servicePassword, baseDn: slapd.baseDn, ...overrides,
  }), ctx) as LdapAdapter;
}

/** A fresh entry, so no case inherits another's password history. */
async function freshUser(extra: Record<string, string> = {}): Promise<DirectoryAccount> {
  const uid = `person${++users}`;
  return { targetUserId: await slapd.addUser(uid, INITIAL, extra), canonicalName: uid };
}

async function failure(work: Promise<unknown>): Promise<Record<string, unknown>> {
  return work.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Record<string, unknown>);
}

describe('ldap plugin, openldap mode, against slapd', () => {
  it('sets a password over StartTLS that the user can then bind with, and the old one no longer', async () => {
    const a = await adapter();
    const account = await freshUser();
    expect(await a.setPassword(account, 'Correct-Horse-Battery-1', opts())).toEqual({ applied: true, sessionsRevoked: 'none' });
    expect(await slapd.canBind(account.targetUserId, 'Correct-Horse-Battery-1')).toBe(true);
    expect(await slapd.canBind(account.targetUserId, INITIAL)).toBe(false);
    expect(await a.verifyPassword!(account, 'Correct-Horse-Battery-1')).toBe(true);
  });

  it('sets a password over LDAPS, and stores only a hash when writing userPassword directly', async () => {
    const a = await adapter({ url: slapd.ldapsUrl, passwordMethod: 'replace' });
    const account = await freshUser();
    await a.setPassword(account, 'Replace-Method-Passw0rd', opts());
    expect(await slapd.canBind(account.targetUserId, 'Replace-Method-Passw0rd')).toBe(true);
    expect(String((await slapd.read(account.targetUserId, ['userPassword'])).userPassword)).toMatch(/^\{SSHA\}/);
  });

  it('refuses a too-short password with ppolicy reason and plain words, and keeps the old one', async () => {
    const account = await freshUser();
    const err = await failure((await adapter()).setPassword(account, 'Short-1', opts()));
    expect(err).toMatchObject({
      class: 'P', providerStatus: 19, providerCode: 'passwordTooShort',
      violations: [{ reason: 'TOO_SHORT', message: "This password is too short for your organisation's directory. Choose a longer one." }],
    });
    expect(await slapd.canBind(account.targetUserId, INITIAL)).toBe(true);
  });

  it('refuses a password from the history with the history message', async () => {
    const a = await adapter();
    const account = await freshUser();
    await a.setPassword(account, 'Second-Passw0rd-42', opts());
    const err = await failure(a.setPassword(account, INITIAL, opts()));
    expect(err).toMatchObject({
      class: 'P', providerCode: 'passwordInHistory',
      violations: [{ reason: 'IN_HISTORY', message: 'This password was used recently. Choose one you have not used before.' }],
    });
    expect(await slapd.canBind(account.targetUserId, 'Second-Passw0rd-42')).toBe(true);
  });

  it('reads the reason from the diagnostic text when the ppolicy control is not sent', async () => {
    const account = await freshUser();
    const err = await failure((await adapter({ ppolicyControl: false })).setPassword(account, INITIAL, opts()));
    expect(err).toMatchObject({ class: 'P', violations: [{ reason: 'IN_HISTORY' }] });
    expect(err.providerCode).toBeUndefined();
  });

  it('reports a retry that finds its own password already set as probably applied', async () => {
    const a = await adapter();
    const account = await freshUser();
    await a.setPassword(account, 'Landed-First-Passw0rd', opts());
    expect(await a.setPassword(account, 'Landed-First-Passw0rd', opts(true))).toEqual({ applied: 'probable', sessionsRevoked: 'none' });
    await expect(a.setPassword(account, 'Landed-First-Passw0rd', opts(false))).rejects.toMatchObject({ class: 'P' });
  });

  it('reports a wrong service password as a configuration error, without the password', async () => {
    const a = await adapter({ bindPassword: 'not-the-service-password' });
    const health = await a.testConnection();
    expect(health.ok).toBe(false);
    expect(health.message).toContain("refused the service account's name or password");
    const err = await failure(a.setPassword(await freshUser(), 'Whatever-Passw0rd-1', opts()));
    expect(err).toMatchObject({ class: 'C', reason: 'AUTH_FAILED', providerStatus: 49 });
    expect(JSON.stringify(err) + String(err.message)).not.toContain('not-the-service-password');
  });

  it('reports a stopped server as transient, and works again once it is back', async () => {
    const a = await adapter();
    const account = await freshUser();
    await slapd.stop();
    try {
      const err = await failure(a.setPassword(account, 'While-It-Was-Down-1', opts()));
      expect(err).toMatchObject({ class: 'T', reason: 'UNAVAILABLE' });
      expect((await a.testConnection()).ok).toBe(false);
    } finally {
      await slapd.start();
    }
    expect(await a.setPassword(account, 'After-It-Came-Back-1', opts())).toMatchObject({ applied: true });
  });

  it('gives null for a user that does not exist, and not found for an entry that is gone', async () => {
    const a = await adapter();
    expect(await a.resolveAccount({ by: 'login', value: 'nobody-here' })).toBeNull();
    const gone = { targetUserId: `uid=gone,${slapd.peopleDn}`, canonicalName: 'gone' };
    expect(await failure(a.setPassword(gone, 'Nobody-Gets-This-1', opts()))).toMatchObject({ class: 'NF', providerStatus: 32 });
  });

  it('finds by login, email (any case) and DN, and escapes filter characters in the value', async () => {
    const a = await adapter();
    const account = await freshUser({ mail: 'Finder@Example.test' });
    expect(await a.resolveAccount({ by: 'login', value: account.canonicalName })).toEqual(account);
    expect(await a.resolveAccount({ by: 'email', value: 'finder@EXAMPLE.test' })).toEqual(account);
    expect(await a.resolveAccount({ by: 'id', value: account.targetUserId })).toEqual(account);
    // Unescaped, these would match every person (or break out of the filter).
    expect(await a.resolveAccount({ by: 'login', value: '*' })).toBeNull();
    expect(await a.resolveAccount({ by: 'login', value: `${account.canonicalName})(uid=*` })).toBeNull();
    expect(await a.resolveAccount({ by: 'id', value: 'uid=x,dc=elsewhere,dc=test' })).toBeNull();
  });

  it('refuses to guess when two entries match', async () => {
    await freshUser({ mail: 'shared@example.test' });
    await freshUser({ mail: 'shared@example.test' });
    const err = await failure((await adapter()).resolveAccount({ by: 'email', value: 'shared@example.test' }));
    expect(err).toMatchObject({ class: 'C', reason: 'AMBIGUOUS_USER' });
  });

  it('marks the password for change at next sign-in when asked (pwdReset)', async () => {
    const account = await freshUser();
    await (await adapter()).setPassword(account, 'Temporary-Passw0rd-1', { ...opts(), mustChange: true });
    expect((await slapd.read(account.targetUserId, ['pwdReset'])).pwdReset).toBe('TRUE');
  });

  it("checks the current password on a user's own change", async () => {
    const a = await adapter();
    const account = await freshUser();
    expect(await failure(a.changePassword(account, 'Not-The-Current-1', 'Users-Own-Choice-1'))).toMatchObject({
      class: 'P', violations: [{ reason: 'WRONG_CURRENT_PASSWORD', message: 'The current password you entered is not correct.' }],
    });
    expect(await a.changePassword(account, INITIAL, 'Users-Own-Choice-1')).toMatchObject({ applied: true });
    expect(await slapd.canBind(account.targetUserId, 'Users-Own-Choice-1')).toBe(true);
  });

  it('states the policy minimum length read from the ppolicy entry', async () => {
    expect(await (await adapter({ policyDn: slapd.policyDn })).policyHints!()).toEqual({ minLength: 12 });
  });

  it('never sends a bind in clear text unless told to, and then the server refuses it', async () => {
    // The server demands TLS for simple binds: the default ldap:// path only works because it uses StartTLS.
    expect(await (await adapter()).testConnection()).toEqual({ ok: true, message: expect.stringContaining('over StartTLS') });
    const plain = await adapter({ allowPlainLdap: true });
    expect(await failure(plain.resolveAccount({ by: 'login', value: 'x' }))).toMatchObject({ class: 'C', reason: 'INSECURE_TRANSPORT', providerStatus: 13 });
  });

  it('refuses a server certificate it cannot verify', async () => {
    const a = await adapter({ tls: {} });
    expect(await failure(a.resolveAccount({ by: 'login', value: 'x' }))).toMatchObject({ class: 'C', reason: 'INSECURE_TRANSPORT' });
    expect((await a.testConnection()).message).toContain('certificate');
  });

  it('rejects a configuration that cannot work, naming the key', () => {
    const base = { mode: 'openldap', bindDn: 'cn=x', bindPassword: 'p', baseDn: 'dc=x' };
    const problems = (c: object) => plugin.configSchema.safeParse({ ...base, ...c }).error?.issues.map((i) => i.path.join('.'));
    expect(problems({ url: 'http://ldap.example' })).toEqual(['url']);
    expect(problems({ url: 'ldap://ldap.example', filters: { login: '(uid=alice)' } })).toEqual(['filters.login']);
    expect(problems({ url: 'ldap://ldap.example', filters: { login: '(uid={value}' } })).toEqual(['filters.login']);
    expect(problems({ url: 'ldaps://ldap.example', allowPlainLdap: true })).toEqual(['allowPlainLdap']);
    expect(problems({ url: 'ldaps://ldap.example', bindPasswrd: 'typo' })).toEqual(['']);
    expect(problems({ url: 'ldaps://ldap.example', mode: 'active-directory', passwordMethod: 'replace' })).toEqual(['passwordMethod']);
    expect(problems({ url: 'ldaps://ldap.example:636' })).toBeUndefined();
  });

  it('refuses to start when NODE_DEBUG would make ldapts print passwords', async () => {
    const script = "import p from './plugins/ldap/index.ts'; try { p.create(p.configSchema.parse({ mode: 'openldap', url: 'ldaps://x', bindDn: 'cn=x', bindPassword: 'p', baseDn: 'dc=x' }), { logger: console }); console.log('started') } catch (e) { console.log(e.message) }";
    const run = (env: NodeJS.ProcessEnv) => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '../..'), env: { ...process.env, ...env } });
    expect((await run({ NODE_DEBUG: 'ldapts' })).stdout).toContain('NODE_DEBUG');
    expect((await run({ NODE_DEBUG: '' })).stdout).toContain('started');
  });
});
