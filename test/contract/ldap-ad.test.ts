// The ldap plugin in active-directory mode against a real Samba AD DC, provisioned once for this file:
// the shared adapter contract, then AD's own answers. AD's ports are fixed, so one DC per machine: the
// support code holds a machine-wide lock and checks the domain SID; the cases here run one after another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../../plugins/ldap/index.js';
import type { LdapAdapter, LdapConfigInput } from '../../plugins/ldap/index.js';
import type { DirectoryAccount, PluginContext } from '../../src/sync/contract.js';
import { startSambaDc, type SambaDc } from '../support/samba.js';
import { adapterContract } from './adapter.js';

const INITIAL = 'Initial-Passw0rd-42';
const ctx: PluginContext = { logger: { info() {}, warn() {}, error() {} }, clock: { now: () => new Date() }, fetch, dataDir: '/nonexistent' };
const opts = (isRetry = false) => ({ reason: 'self-service' as const, attemptId: 'attempt-1', isRetry });

let dc: SambaDc;
let users = 0;

beforeAll(async () => {
  dc = await startSambaDc();
}, 180_000);
afterAll(async () => {
  await dc?.stop();
}, 30_000);

async function adapter(overrides: Partial<LdapConfigInput> = {}): Promise<LdapAdapter> {
  return await plugin.create(plugin.configSchema.parse({
    mode: 'active-directory', url: dc.ldapsUrl, tls: { caCert: dc.caCert, serverName: dc.serverName },
    bindDn: dc.service.upn, bindPassword: dc.service.password, baseDn: dc.baseDn, ...overrides,
  }), ctx) as LdapAdapter;
}

async function freshUser(parent?: string): Promise<DirectoryAccount> {
  const name = `person${++users}`;
  return { targetUserId: await dc.addUser(name, INITIAL, { mail: `${name}@example.test` }, parent), canonicalName: name };
}

async function failure(work: Promise<unknown>): Promise<Record<string, unknown>> {
  return work.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Record<string, unknown>);
}

adapterContract('ldap (active-directory, Samba AD DC)', async () => {
  const account = await freshUser();
  return {
    adapter: await adapter(),
    existing: { by: 'login', value: account.canonicalName },
    missing: { by: 'login', value: 'nobody' },
    initialPassword: INITIAL,
    goodPassword: 'Fresh-Correct-Horse-7',
    policyViolatingPassword: 'Ab1!',
    verify: (a, password) => dc.canBind(a.targetUserId, password),
    teardown: async () => {},
  };
});

describe('ldap plugin, active-directory mode, against Samba AD', () => {
  it('resets unicodePwd over LDAPS as the delegated service account: the new password binds, the old does not', async () => {
    const a = await adapter();
    const account = await freshUser();
    expect(await a.resolveAccount({ by: 'email', value: `${account.canonicalName}@EXAMPLE.test` })).toEqual(account);
    expect(await a.setPassword(account, 'Correct-Horse-Battery-1', opts())).toEqual({ applied: true, sessionsRevoked: 'none' });
    expect(await dc.canBind(account.targetUserId, 'Correct-Horse-Battery-1')).toBe(true);
    expect(await dc.canBind(account.targetUserId, INITIAL)).toBe(false);
  });

  it('refuses a too-short password (0000052D) in plain words and keeps the old one', async () => {
    const account = await freshUser();
    expect(await failure((await adapter()).setPassword(account, 'Ab1!x', opts()))).toMatchObject({
      class: 'P', providerStatus: 19, providerCode: '0000052D',
      violations: [{ reason: 'TOO_SHORT', message: "This password is too short for your organisation's directory. Choose a longer one." }],
    });
    expect(await dc.canBind(account.targetUserId, INITIAL)).toBe(true);
  });

  it('refuses a password that is not complex enough, saying what complex means', async () => {
    const err = await failure((await adapter()).setPassword(await freshUser(), 'onlysmallletters', opts()));
    expect(err).toMatchObject({ class: 'P', providerCode: '0000052D' });
    expect((err.violations as Array<{ message: string }>)[0]?.message).toMatch(/not complex enough.*capital letters, small letters, digits and symbols/);
  });

  it("refuses an earlier password on the user's own change (delete old + add new), though a reset would take it", async () => {
    const a = await adapter();
    const account = await freshUser();
    await a.changePassword(account, INITIAL, 'Second-Passw0rd-42');
    expect(await failure(a.changePassword(account, 'Second-Passw0rd-42', INITIAL))).toMatchObject({
      class: 'P', providerCode: '0000052D',
      violations: [{ reason: 'IN_HISTORY', message: 'This password was used recently. Choose one you have not used before.' }],
    });
    expect(await dc.canBind(account.targetUserId, 'Second-Passw0rd-42')).toBe(true);
    // AD checks history only on a change; an administrator's reset skips it.
    expect(await a.setPassword(account, INITIAL, opts())).toMatchObject({ applied: true });
  });

  it('refuses a change with the wrong current password (00000056)', async () => {
    const account = await freshUser();
    expect(await failure((await adapter()).changePassword(account, 'Not-The-Current-1', 'Users-Own-Choice-1'))).toMatchObject({
      class: 'P', providerCode: '00000056', violations: [{ reason: 'WRONG_CURRENT_PASSWORD' }],
    });
  });

  it('refuses plain LDAP: a simple bind on ldap:// without TLS is a configuration error', async () => {
    const plain = await adapter({ url: dc.ldapUrl, allowPlainLdap: true });
    expect(await failure(plain.setPassword(await freshUser(), 'Never-Sent-In-Clear-1', opts()))).toMatchObject({
      class: 'C', reason: 'INSECURE_TRANSPORT', providerStatus: 8,
    });
  });

  it('works over StartTLS on ldap://', async () => {
    const a = await adapter({ url: dc.ldapUrl });
    const account = await freshUser();
    expect(await a.testConnection()).toEqual({ ok: true, message: expect.stringContaining('over StartTLS') });
    await a.setPassword(account, 'Over-StartTls-Passw0rd-1', opts());
    expect(await dc.canBind(account.targetUserId, 'Over-StartTls-Passw0rd-1')).toBe(true);
  });

  it('reports a wrong service password as a configuration error, without the password', async () => {
    const a = await adapter({ bindPassword: 'Not-The-Service-Passw0rd' });
    const err = await failure(a.setPassword(await freshUser(), 'Whatever-Passw0rd-1', opts()));
    expect(err).toMatchObject({ class: 'C', reason: 'AUTH_FAILED', providerStatus: 49 });
    expect(JSON.stringify(err) + String(err.message)).not.toContain('Not-The-Service-Passw0rd');
    expect((await a.testConnection()).ok).toBe(false);
  });

  it('reports missing rights on an entry outside the delegated container as a configuration error', async () => {
    const elsewhere = await freshUser(await dc.addOu('Elsewhere'));
    expect(await failure((await adapter()).setPassword(elsewhere, 'No-Rights-Here-Passw0rd-1', opts()))).toMatchObject({
      class: 'C', reason: 'FORBIDDEN', providerStatus: 50,
    });
  });

  it('sets "must change at next logon" (pwdLastSet 0) when asked; the password still verifies', async () => {
    const a = await adapter();
    const account = await freshUser();
    await a.setPassword(account, 'Temporary-Passw0rd-1', { ...opts(), mustChange: true });
    expect((await dc.read(account.targetUserId, ['pwdLastSet'])).pwdLastSet).toBe('0');
    expect(await a.verifyPassword!(account, 'Temporary-Passw0rd-1')).toBe(true);
    expect(await a.verifyPassword!(account, INITIAL)).toBe(false);
  });

  it("checks the certificate against the DC's name: without serverName it is refused", async () => {
    const a = await adapter({ tls: { caCert: dc.caCert } });
    expect(await failure(a.resolveAccount({ by: 'login', value: 'x' }))).toMatchObject({ class: 'C', reason: 'INSECURE_TRANSPORT' });
  });

  it("states the domain's minimum password length", async () => {
    expect(await (await adapter()).policyHints!()).toEqual({ minLength: 7 });
  });
});
