import { describe, expect, it } from 'vitest';
import {
  ConfigurationError, PolicyRejectedError, TransientError, UserNotFoundError,
} from '../../src/sync/contract.js';
import type { AccountRef, Adapter, DirectoryAccount, SetPasswordOptions, SetPasswordResult } from '../../src/sync/contract.js';
import { SyncDispatcher, accountRefFor, classifyError } from '../../src/sync/dispatcher.js';
import type { DispatcherOptions } from '../../src/sync/dispatcher.js';
import type { Account, Customer } from '../../src/domain/types.js';

const PASSWORD = 'Very-Secret-Passw0rd!';
const TARGET: DirectoryAccount = { targetUserId: 't-1', canonicalName: 'alice' };

const account: Account = {
  id: 'acc-1', partnerId: 'p1', customerId: 'c1', name: 'Alice', login: 'alice', email: 'alice.smith@acme.example', externalId: 'X-9',
};
const customer = (mapping = 'login', instance = 'dir'): Customer =>
  ({ id: 'c1', partnerId: 'p1', name: 'Acme', directory: { instance, mapping } });

type SetStep = SetPasswordResult | Error;

/** An adapter that plays back scripted answers and records its calls. */
function fakeAdapter(steps: SetStep[], resolved: DirectoryAccount | null | Error = TARGET) {
  const calls: { resolve: AccountRef[]; set: SetPasswordOptions[] } = { resolve: [], set: [] };
  const adapter: Adapter = {
    capabilities: { setPassword: true, setRevokesSessions: 'none' },
    testConnection: async () => ({ ok: true, message: 'ok' }),
    async resolveAccount(ref) {
      calls.resolve.push(ref);
      if (resolved instanceof Error) throw resolved;
      return resolved;
    },
    async setPassword(_account, _password, opts) {
      calls.set.push(opts);
      const step = steps[Math.min(calls.set.length, steps.length) - 1] ?? { applied: true, sessionsRevoked: 'none' };
      if (step instanceof Error) throw step;
      return step;
    },
  };
  return { adapter, calls };
}

function setup(adapter: Adapter, opts: Partial<DispatcherOptions> = {}) {
  const logs: string[] = [];
  const sleeps: number[] = [];
  const log = (level: string) => (obj: object, msg?: string) => logs.push(JSON.stringify({ level, ...obj, msg }));
  const registry = { get: (id: string) => (id === 'dir' ? { id: 'dir', plugin: 'fake', adapter } : undefined) };
  const dispatcher = new SyncDispatcher(registry, {
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    sleep: async (ms) => { sleeps.push(ms); },
    ...opts,
  });
  return { dispatcher, logs, sleeps };
}

const applied: SetPasswordResult = { applied: true, sessionsRevoked: 'none' };
const transient = (retryAfterMs?: number) => new TransientError('busy', retryAfterMs === undefined ? {} : { retryAfterMs });

describe('accountRefFor', () => {
  it('maps login, email and externalId to lookups by that key', () => {
    expect(accountRefFor('login', account)).toEqual({ by: 'login', value: 'alice' });
    expect(accountRefFor('email', account)).toEqual({ by: 'email', value: 'alice.smith@acme.example' });
    expect(accountRefFor('externalId', account)).toEqual({ by: 'externalId', value: 'X-9' });
  });

  it('fills a template and looks the result up as a login', () => {
    expect(accountRefFor('{login}@corp.example', account)).toEqual({ by: 'login', value: 'alice@corp.example' });
    expect(accountRefFor('CORP\\{localpart}', account)).toEqual({ by: 'login', value: 'CORP\\alice.smith' });
    expect(accountRefFor('{externalId}-{email}', account)).toEqual({ by: 'login', value: 'X-9-alice.smith@acme.example' });
  });

  it('gives no ref when a needed value is missing or the rule is unknown', () => {
    const { externalId: _, ...noExternal } = account;
    expect(accountRefFor('externalId', noExternal)).toBeNull();
    expect(accountRefFor('{externalId}@corp', noExternal)).toBeNull();
    expect(accountRefFor('{nickname}@corp', account)).toBeNull();
    expect(accountRefFor('{constructor}', account)).toBeNull();
    expect(accountRefFor('upn', account)).toBeNull();
  });
});

describe('classifyError', () => {
  it('reads the class of contract errors and treats anything else as configuration', () => {
    expect(classifyError(new PolicyRejectedError([{ reason: 'GENERIC', message: 'no' }]))).toBe('P');
    expect(classifyError(transient())).toBe('T');
    expect(classifyError(new ConfigurationError('bad'))).toBe('C');
    expect(classifyError(new UserNotFoundError('gone'))).toBe('NF');
    expect(classifyError(new Error('boom'))).toBe('C');
    expect(classifyError(undefined)).toBe('C');
  });
});

describe('SyncDispatcher.apply', () => {
  it('resolves the account with the ref from the mapping rule', async () => {
    const { adapter, calls } = fakeAdapter([applied]);
    const { dispatcher } = setup(adapter);
    expect(await dispatcher.apply(customer('{localpart}@corp.example'), account, PASSWORD)).toEqual({ kind: 'applied' });
    expect(calls.resolve).toEqual([{ by: 'login', value: 'alice.smith@corp.example' }]);
  });

  it('applies after two transient failures, all calls carrying one attempt id', async () => {
    const { adapter, calls } = fakeAdapter([transient(), transient(), applied]);
    const { dispatcher, sleeps } = setup(adapter);
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'applied' });
    expect(new Set(calls.set.map((o) => o.attemptId)).size).toBe(1);
    expect(sleeps).toHaveLength(2);
  });

  it('marks a call as a retry only once an earlier call may have landed', async () => {
    // A clean refusal (503) changed nothing, so "used before" on the next call would be a real
    // policy answer; after a timeout with the request sent, it means the first call probably landed.
    const unknown = new TransientError('timed out', { outcomeUnknown: true });
    const { adapter, calls } = fakeAdapter([transient(), unknown, transient(), applied]);
    const { dispatcher } = setup(adapter, { maxAttempts: 4 });
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'applied' });
    expect(calls.set.map((o) => o.isRetry)).toEqual([false, false, true, true]);
  });

  it('backs off exponentially from baseDelayMs', async () => {
    const { adapter } = fakeAdapter([transient(), transient(), applied]);
    const { dispatcher, sleeps } = setup(adapter, { baseDelayMs: 100, random: () => 1 });
    await dispatcher.apply(customer(), account, PASSWORD);
    expect(sleeps).toEqual([100, 200]);
  });

  it('waits at least retryAfterMs', async () => {
    const { adapter } = fakeAdapter([transient(1500), applied]);
    const { dispatcher, sleeps } = setup(adapter);
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'applied' });
    expect(sleeps[0]).toBeGreaterThanOrEqual(1500);
  });

  it('gives up as transient after maxAttempts', async () => {
    const { adapter, calls } = fakeAdapter([transient()]);
    const { dispatcher } = setup(adapter, { maxAttempts: 4 });
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'transient' });
    expect(calls.set).toHaveLength(4);
  });

  it('gives up as transient rather than wait past the deadline', async () => {
    const { adapter, calls } = fakeAdapter([transient(60_000), applied]);
    const { dispatcher, sleeps } = setup(adapter, { deadlineMs: 10_000 });
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'transient' });
    expect(calls.set).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('stops waiting for a directory that does not answer by the deadline', async () => {
    const { adapter } = fakeAdapter([]);
    adapter.setPassword = () => new Promise<never>(() => {});
    const { dispatcher, logs } = setup(adapter, { deadlineMs: 50 });
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'transient' });
    expect(logs.join('\n')).toContain('"outcomeUnknown":true');
  });

  it('returns the policy messages and does not retry', async () => {
    const { adapter, calls } = fakeAdapter([new PolicyRejectedError([
      { reason: 'TOO_SHORT', message: 'Use at least 12 characters.' },
      { reason: 'MISSING_DIGIT', message: 'Add a digit.' },
    ])]);
    const { dispatcher } = setup(adapter);
    expect(await dispatcher.apply(customer(), account, PASSWORD))
      .toEqual({ kind: 'policy', message: 'Use at least 12 characters. Add a digit.' });
    expect(calls.set).toHaveLength(1);
  });

  it('treats a probable apply on a retry as applied', async () => {
    const { adapter } = fakeAdapter([transient(), { applied: 'probable', sessionsRevoked: 'none' }]);
    const { dispatcher } = setup(adapter);
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'applied' });
  });

  it('reports config for an unknown instance, a missing binding or an unusable mapping', async () => {
    const { adapter, calls } = fakeAdapter([applied]);
    const { dispatcher } = setup(adapter);
    expect(await dispatcher.apply(customer('login', 'elsewhere'), account, PASSWORD)).toEqual({ kind: 'config' });
    expect(await dispatcher.apply({ id: 'c1', partnerId: 'p1', name: 'Acme' }, account, PASSWORD)).toEqual({ kind: 'config' });
    expect(await dispatcher.apply(customer('{nickname}'), account, PASSWORD)).toEqual({ kind: 'config' });
    expect(calls.resolve).toEqual([]);
  });

  it('reports config when the account does not resolve, without setting anything', async () => {
    for (const resolved of [null, new UserNotFoundError('gone')]) {
      const { adapter, calls } = fakeAdapter([applied], resolved);
      const { dispatcher } = setup(adapter);
      expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'config' });
      expect(calls.set).toEqual([]);
    }
  });

  it('reports config without retrying for configuration, not-found and unknown errors', async () => {
    for (const error of [new ConfigurationError('denied'), new UserNotFoundError('gone'), new TypeError('bug')]) {
      const { adapter, calls } = fakeAdapter([error]);
      const { dispatcher } = setup(adapter);
      expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'config' });
      expect(calls.set).toHaveLength(1);
    }
  });

  it('retries a transient failure of the lookup too', async () => {
    const { adapter, calls } = fakeAdapter([applied]);
    let failures = 1;
    const resolve = adapter.resolveAccount.bind(adapter);
    adapter.resolveAccount = async (ref) => (failures-- > 0 ? Promise.reject(transient()) : resolve(ref));
    const { dispatcher } = setup(adapter);
    expect(await dispatcher.apply(customer(), account, PASSWORD)).toEqual({ kind: 'applied' });
    expect(calls.set.map((o) => o.isRetry)).toEqual([false]);
  });

  it('never writes the password to the log, whatever the adapter puts in its errors', async () => {
    const leaky = [
      new ConfigurationError(`rejected ${PASSWORD}`, { safeDiagnostic: `body was ${PASSWORD}` }),
      new Error(`request {"value":"${PASSWORD}"} failed`),
      new TransientError(`timeout sending ${PASSWORD}`, { safeDiagnostic: PASSWORD }),
      new PolicyRejectedError([{ reason: 'GENERIC', message: 'Not allowed.' }], { safeDiagnostic: `pw=${PASSWORD}` }),
    ];
    const all: string[] = [];
    for (const error of [...leaky, undefined]) {
      const { adapter } = fakeAdapter(error ? [error] : [applied]);
      const { dispatcher, logs } = setup(adapter, { maxAttempts: 2 });
      await dispatcher.apply(customer(), account, PASSWORD);
      all.push(...logs);
    }
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.join('\n')).not.toContain(PASSWORD);
    expect(all.join('\n')).toContain('"directory":"dir"');
    expect(all.join('\n')).toContain('"accountId":"acc-1"');
  });

  it('logs the error class and safe diagnostic of a failure', async () => {
    const { adapter } = fakeAdapter([new ConfigurationError('denied', { safeDiagnostic: 'HTTP 403 forbidden', reason: 'FORBIDDEN' })]);
    const { dispatcher, logs } = setup(adapter);
    await dispatcher.apply(customer(), account, PASSWORD);
    expect(JSON.parse(logs.at(-1)!)).toMatchObject({
      level: 'error', directory: 'dir', accountId: 'acc-1', errorClass: 'C', error: 'ConfigurationError',
      safeDiagnostic: 'HTTP 403 forbidden', reason: 'FORBIDDEN',
    });
  });
});

describe('SyncDispatcher.write', () => {
  const target = { instance: 'dir', mapping: 'login' };
  const opts = { attemptId: 'att-1', isRetry: false, deadlineMs: 10_000 };

  it('ends the sessions at the directory after the change when asked and the adapter can', async () => {
    const { adapter } = fakeAdapter([applied]);
    const revoked: DirectoryAccount[] = [];
    Object.assign(adapter, { capabilities: { ...adapter.capabilities, revokeSessions: true }, revokeSessions: async (a: DirectoryAccount) => void revoked.push(a) });
    const { dispatcher } = setup(adapter);
    expect(await dispatcher.write(target, account, PASSWORD, { ...opts, revokeSessions: true })).toEqual({ kind: 'applied', probable: false, sessions: 'revoked' });
    expect(revoked).toEqual([TARGET]);
    expect(await dispatcher.write(target, account, PASSWORD, opts)).toEqual({ kind: 'applied', probable: false });
    expect(revoked).toHaveLength(1);
  });

  it('records a revocation that failed, one the adapter cannot do, and one the set did already', async () => {
    const failing = fakeAdapter([applied]).adapter;
    Object.assign(failing, { capabilities: { ...failing.capabilities, revokeSessions: true }, revokeSessions: async () => { throw new TransientError('busy'); } });
    expect(await setup(failing).dispatcher.write(target, account, PASSWORD, { ...opts, revokeSessions: true }))
      .toMatchObject({ kind: 'applied', sessions: 'failed' });
    expect(await setup(fakeAdapter([applied]).adapter).dispatcher.write(target, account, PASSWORD, { ...opts, revokeSessions: true }))
      .toMatchObject({ kind: 'applied', sessions: 'not-supported' });
    expect(await setup(fakeAdapter([{ applied: true, sessionsRevoked: 'all' }]).adapter).dispatcher.write(target, account, PASSWORD, { ...opts, revokeSessions: true }))
      .toMatchObject({ kind: 'applied', sessions: 'by-target' });
  });

  it('passes isRetry from the start for a change whose earlier attempt may have landed, and reports "probably applied"', async () => {
    const { adapter, calls } = fakeAdapter([{ applied: 'probable', sessionsRevoked: 'none' }]);
    expect(await setup(adapter).dispatcher.write(target, account, PASSWORD, { ...opts, isRetry: true })).toEqual({ kind: 'applied', probable: true });
    expect(calls.set).toEqual([{ reason: 'self-service', attemptId: 'att-1', isRetry: true }]);
  });

  it('gives admins plain words without the password, and says when the outcome is unknown', async () => {
    const { adapter } = fakeAdapter([new ConfigurationError(`The server refused the token ${PASSWORD}.`, { safeDiagnostic: 'PATCH answered 401' })]);
    const outcome = await setup(adapter).dispatcher.write(target, account, PASSWORD, opts);
    expect(outcome).toEqual({ kind: 'config', notFound: false, detail: 'The server refused the token ••••.', diagnostic: 'PATCH answered 401' });
    const slow = fakeAdapter([new TransientError('The server did not answer in time.', { outcomeUnknown: true })]).adapter;
    expect(await setup(slow, { maxAttempts: 1 }).dispatcher.write(target, account, PASSWORD, opts)).toMatchObject({
      kind: 'transient', outcomeUnknown: true, detail: 'The server did not answer in time. It may have taken the password before the answer was lost.',
    });
    const odd = fakeAdapter([new Error(`boom ${PASSWORD}`)]).adapter;
    expect(await setup(odd).dispatcher.write(target, account, PASSWORD, opts))
      .toEqual({ kind: 'config', notFound: false, detail: 'The directory refused the request: a configuration or access problem.' });
  });

  it('reads the rules each directory declares, leaving out one that cannot say', async () => {
    const { adapter } = fakeAdapter([applied]);
    Object.assign(adapter, { capabilities: { ...adapter.capabilities, policyHints: true }, policyHints: async () => ({ minLength: 16 }) });
    const broken = fakeAdapter([applied]).adapter;
    Object.assign(broken, { capabilities: { ...broken.capabilities, policyHints: true }, policyHints: async () => { throw new TransientError('down'); } });
    const registry = { get: (id: string) => ({ dir: { id, plugin: 'fake', adapter }, other: { id, plugin: 'fake', adapter: broken } })[id] };
    const dispatcher = new SyncDispatcher(registry, { logger: { info() {}, warn() {}, error() {} } });
    expect(await dispatcher.policyHints([{ instance: 'dir', mapping: 'login' }, { instance: 'other', mapping: 'login' }, { instance: 'gone', mapping: 'login' }]))
      .toEqual([{ minLength: 16 }]);
  });
});
