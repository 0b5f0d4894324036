// The one suite every directory adapter plugin must pass. A plugin's test file calls adapterContract()
// with a setup that gives a fresh target for each case (against the real server where one can run here).
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountRef, Adapter, DirectoryAccount, SetPasswordOptions } from '../../src/sync/contract.js';

export interface AdapterFixture {
  adapter: Adapter;
  /** Finds the user that exists in the target; its password is `initialPassword`. */
  existing: AccountRef;
  /** Finds nobody. */
  missing: AccountRef;
  initialPassword: string;
  /** A password the target accepts for the existing user. */
  goodPassword: string;
  /** A password the target refuses on policy; undefined when the target has no policy. */
  policyViolatingPassword: string | undefined;
  /** Checks a password against the real target, not through the adapter's own bookkeeping where avoidable. */
  verify(account: DirectoryAccount, password: string): Promise<boolean>;
  teardown(): Promise<void>;
}

const SESSION_REVOCATION = ['all', 'passwordBased', 'sessionsOnly', 'none', 'unknown'];

const opts = (isRetry = false, attemptId: string = randomUUID()): SetPasswordOptions =>
  ({ reason: 'self-service', attemptId, isRetry });

async function caught(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function expectNoPassword(err: unknown, password: string) {
  const e = err as { message?: unknown; safeDiagnostic?: unknown; stack?: unknown };
  for (const text of [e.message, e.safeDiagnostic, e.stack, JSON.stringify(err), inspect(err, { depth: 5 })]) {
    if (typeof text === 'string') expect(text).not.toContain(password);
  }
}

export function adapterContract(name: string, setup: () => Promise<AdapterFixture>): void {
  describe(`adapter contract: ${name}`, () => {
    let f: AdapterFixture;
    beforeEach(async () => {
      f = await setup();
    });
    afterEach(async () => {
      await f?.teardown();
    });

    const known = async () => {
      const account = await f.adapter.resolveAccount(f.existing);
      if (!account) throw new Error('fixture: the existing user does not resolve');
      return account;
    };

    it('declares the setPassword capability and a session behaviour', () => {
      const { capabilities, policyHints, revokeSessions } = f.adapter;
      expect(capabilities.setPassword).toBe(true);
      expect(SESSION_REVOCATION).toContain(capabilities.setRevokesSessions);
      if (capabilities.policyHints) expect(typeof policyHints).toBe('function');
      if (capabilities.revokeSessions) expect(typeof revokeSessions).toBe('function');
    });

    it('reports ok from testConnection, in words', async () => {
      const health = await f.adapter.testConnection();
      expect(health.ok).toBe(true);
      expect(health.message.trim()).not.toBe('');
    });

    it('resolves the known user', async () => {
      const account = await f.adapter.resolveAccount(f.existing);
      expect(account?.targetUserId).toEqual(expect.any(String));
      expect(account?.targetUserId).not.toBe('');
    });

    it('returns null for a missing user', async () => {
      expect(await f.adapter.resolveAccount(f.missing)).toBeNull();
    });

    it('applies a good password: the target accepts it and no longer the old one', async () => {
      const account = await known();
      const result = await f.adapter.setPassword(account, f.goodPassword, opts());
      expect(result.applied).toBe(true);
      expect(await f.verify(account, f.goodPassword)).toBe(true);
      expect(await f.verify(account, f.initialPassword)).toBe(false);
    });

    it('reports a retry of a change that already landed as applied, not as a policy rejection', async () => {
      const account = await known();
      const attemptId = randomUUID();
      await f.adapter.setPassword(account, f.goodPassword, opts(false, attemptId));
      const again = await f.adapter.setPassword(account, f.goodPassword, opts(true, attemptId));
      expect([true, 'probable']).toContain(again.applied);
      expect(await f.verify(account, f.goodPassword)).toBe(true);
    });

    it('rejects a policy-violating password with a user message and keeps the previous password', async (ctx) => {
      const bad = f.policyViolatingPassword;
      if (bad === undefined) return ctx.skip();
      const account = await known();
      const err = await caught(f.adapter.setPassword(account, bad, opts())) as { name?: string; class?: string; violations?: unknown };
      expect(err.class).toBe('P');
      expect(err.name).toBe('PolicyRejectedError');
      expect(Array.isArray(err.violations) && err.violations.length).toBeGreaterThan(0);
      for (const v of err.violations as Array<{ message: unknown }>) {
        expect(typeof v.message === 'string' && v.message.trim()).toBeTruthy();
      }
      expect(await f.verify(account, f.initialPassword)).toBe(true);
      expect(await f.verify(account, bad)).toBe(false);
    });

    it('fails as not found (NF) when the account vanished between resolve and set', async () => {
      const gone: DirectoryAccount = { targetUserId: `gone-${randomUUID()}`, canonicalName: 'gone' };
      const err = await caught(f.adapter.setPassword(gone, f.goodPassword, opts())) as { class?: string };
      expect(err.class).toBe('NF');
    });

    it('never puts the password in an error', async () => {
      const gone: DirectoryAccount = { targetUserId: `gone-${randomUUID()}`, canonicalName: 'gone' };
      expectNoPassword(await caught(f.adapter.setPassword(gone, f.goodPassword, opts())), f.goodPassword);
      if (f.policyViolatingPassword !== undefined) {
        const account = await known();
        const bad = f.policyViolatingPassword;
        expectNoPassword(await caught(f.adapter.setPassword(account, bad, opts())), bad);
      }
    });
  });
}
