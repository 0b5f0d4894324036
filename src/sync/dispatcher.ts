// Writes a new password to the customer's directory: derive the account ref, resolve, set, retry what is transient.
import { randomUUID } from 'node:crypto';
import type { Account, Customer } from '../domain/types.js';
import type { DirectorySync, SyncOutcome } from '../domain/ports.js';
import { TransientError } from './contract.js';
import type { AccountRef, Logger, SetPasswordResult } from './contract.js';
import type { DirectoryRegistry } from './registry.js';

export type ErrorClass = 'P' | 'T' | 'C' | 'NF';

export interface DispatcherOptions {
  logger: Logger;
  /** Calls per step (resolve, set) before giving up as transient. */
  maxAttempts?: number;
  /** First backoff; doubles each retry, with jitter. */
  baseDelayMs?: number;
  /** The whole apply(), retries included, must finish within this: a user is waiting on the page. */
  deadlineMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** By the error's `class` field, not instanceof: a plugin from npm may carry its own copy of the contract. */
export function classifyError(e: unknown): ErrorClass {
  const cls = (e as { class?: unknown } | null)?.class;
  return cls === 'P' || cls === 'T' || cls === 'C' || cls === 'NF' ? cls : 'C';
}

/** The directory identity for an account under a customer's mapping rule; null when it cannot be built. */
export function accountRefFor(mapping: string, account: Account): AccountRef | null {
  const ref = (by: AccountRef['by'], value: string | undefined): AccountRef | null => (value ? { by, value } : null);
  switch (mapping) {
    case 'login': return ref('login', account.login);
    case 'email': return ref('email', account.email);
    case 'externalId': return ref('externalId', account.externalId);
  }
  if (!/\{\w+\}/.test(mapping)) return null;
  const at = account.email.lastIndexOf('@');
  const fields: Record<string, string | undefined> = {
    login: account.login,
    email: account.email,
    localpart: at > 0 ? account.email.slice(0, at) : undefined,
    externalId: account.externalId,
  };
  let missing = false;
  const value = mapping.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!v) missing = true;
    return v ?? '';
  });
  return missing ? null : { by: 'login', value };
}

type Step<T> = { ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number };

export class SyncDispatcher implements DirectorySync {
  readonly #registry: Pick<DirectoryRegistry, 'get'>;
  readonly #log: Logger;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #deadlineMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(registry: Pick<DirectoryRegistry, 'get'>, opts: DispatcherOptions) {
    this.#registry = registry;
    this.#log = opts.logger;
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.#baseDelayMs = opts.baseDelayMs ?? 200;
    this.#deadlineMs = opts.deadlineMs ?? 10_000;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
  }

  async apply(customer: Customer, account: Account, password: string): Promise<SyncOutcome> {
    const base = { customerId: customer.id, accountId: account.id };
    const binding = customer.directory;
    if (!binding) return this.#config(base, 'customer has no directory binding');
    const entry = this.#registry.get(binding.instance);
    const where = { ...base, directory: binding.instance };
    if (!entry) return this.#config(where, 'directory instance is not configured');
    const ref = accountRefFor(binding.mapping, account);
    if (!ref) return this.#config({ ...where, mapping: binding.mapping }, 'mapping rule gives no directory identity for this account');

    const deadlineAt = this.#now() + this.#deadlineMs;
    const adapter = entry.adapter;
    const ctx = { ...where, plugin: entry.plugin, by: ref.by };

    const resolved = await this.#withRetries(deadlineAt, () => adapter.resolveAccount(ref));
    if (!resolved.ok) return this.#failed({ ...ctx, step: 'resolve', attempts: resolved.attempts }, resolved.error, password);
    const target = resolved.value;
    if (!target) return this.#config({ ...ctx, step: 'resolve' }, 'no directory account matches this account: check the mapping', 'NF');

    // One id for the logical change; retries carry it with isRetry so an adapter can tell a repeat from a new change.
    const attemptId = randomUUID();
    const set = await this.#withRetries(deadlineAt, (attempt) =>
      adapter.setPassword(target, password, { reason: 'self-service', attemptId, isRetry: attempt > 1 }));
    if (!set.ok) return this.#failed({ ...ctx, step: 'setPassword', attemptId, attempts: set.attempts }, set.error, password);

    const result: SetPasswordResult = set.value;
    this.#log.info({ ...ctx, attemptId, attempts: set.attempts, applied: result.applied, sessionsRevoked: result.sessionsRevoked },
      'password written to directory');
    return { kind: 'applied' };
  }

  async #withRetries<T>(deadlineAt: number, call: (attempt: number) => Promise<T>): Promise<Step<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await this.#beforeDeadline(call(attempt), deadlineAt), attempts: attempt };
      } catch (error) {
        if (classifyError(error) !== 'T' || attempt >= this.#maxAttempts) return { ok: false, error, attempts: attempt };
        const delay = this.#delay(attempt, (error as { retryAfterMs?: number }).retryAfterMs);
        // Waiting past the deadline would only make the user wait for the same answer.
        if (this.#now() + delay >= deadlineAt) return { ok: false, error, attempts: attempt };
        await this.#sleep(delay);
      }
    }
  }

  #delay(attempt: number, retryAfterMs: number | undefined): number {
    const exp = this.#baseDelayMs * 2 ** (attempt - 1);
    const jittered = exp / 2 + this.#random() * (exp / 2);
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  async #beforeDeadline<T>(work: Promise<T>, deadlineAt: number): Promise<T> {
    const left = deadlineAt - this.#now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // The call may still land after this, hence outcomeUnknown.
      timer = setTimeout(() => reject(new TransientError('The directory did not answer in time.', {
        reason: 'TIMEOUT', outcomeUnknown: true, safeDiagnostic: 'deadline passed while waiting for the directory',
      })), Math.max(0, left));
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #failed(ctx: Record<string, unknown>, error: unknown, password: string): SyncOutcome {
    const cls = classifyError(error);
    const e = (error ?? {}) as {
      name?: unknown; safeDiagnostic?: unknown; providerStatus?: unknown; providerCode?: unknown;
      reason?: unknown; outcomeUnknown?: unknown; violations?: unknown;
    };
    // Only fields the contract calls safe; a raw message from an unknown error could quote a request body.
    const detail = hidePassword({
      ...ctx,
      errorClass: cls,
      error: typeof e.name === 'string' ? e.name : typeof error,
      safeDiagnostic: e.safeDiagnostic,
      providerStatus: e.providerStatus,
      providerCode: e.providerCode,
      reason: e.reason,
      outcomeUnknown: e.outcomeUnknown,
    }, password);
    if (cls === 'P') {
      const messages = Array.isArray(e.violations)
        ? e.violations.map((v: { message?: unknown }) => v?.message).filter((m): m is string => typeof m === 'string' && m !== '')
        : [];
      this.#log.info(detail, 'directory rejected the password by policy');
      return { kind: 'policy', message: messages.length ? messages.join(' ') : 'The directory did not accept this password. Choose a different one.' };
    }
    if (cls === 'T') {
      this.#log.warn(detail, 'directory unavailable; gave up retrying');
      return { kind: 'transient' };
    }
    this.#log.error(detail, cls === 'NF' ? 'directory account not found: check the mapping' : 'directory configuration or access problem');
    return { kind: 'config' };
  }

  #config(ctx: Record<string, unknown>, why: string, errorClass: 'C' | 'NF' = 'C'): SyncOutcome {
    this.#log.error({ ...ctx, errorClass }, why);
    return { kind: 'config' };
  }
}

/** A last guard: the password must not reach a log even if a plugin put it in a "safe" field. */
function hidePassword(obj: Record<string, unknown>, password: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' && password !== '' ? v.split(password).join('••••') : v;
  }
  return out;
}
