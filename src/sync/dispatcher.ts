// Writes a new password to one directory: derive the account ref, resolve, set, retry what is transient,
// revoke sessions when asked. Which directories get the password, and when, is services/sync.ts's business.
import { randomUUID } from 'node:crypto';
import type { Account, Customer, DirectoryTarget } from '../domain/types.js';
import type { DirectorySync, SyncOutcome, TargetOutcome, TargetWrite } from '../domain/ports.js';
import type { PolicyHint } from '../domain/policy.js';
import { TransientError } from './contract.js';
import type { AccountRef, Adapter, DirectoryAccount, Logger, SetPasswordResult } from './contract.js';
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
  /** How long a directory may take to say what it enforces before the form is shown without it. */
  hintsTimeoutMs?: number;
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
type Failure = Exclude<TargetOutcome, { kind: 'applied' }>;

const maybeLanded = (e: unknown) => (e as { outcomeUnknown?: unknown } | null)?.outcomeUnknown === true;

export class SyncDispatcher implements DirectorySync {
  readonly #registry: Pick<DirectoryRegistry, 'get'>;
  readonly #log: Logger;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #deadlineMs: number;
  readonly #hintsTimeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;

  constructor(registry: Pick<DirectoryRegistry, 'get'>, opts: DispatcherOptions) {
    this.#registry = registry;
    this.#log = opts.logger;
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.#baseDelayMs = opts.baseDelayMs ?? 200;
    this.#deadlineMs = opts.deadlineMs ?? 10_000;
    this.#hintsTimeoutMs = opts.hintsTimeoutMs ?? 3_000;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
  }

  /** The customer's primary directory alone, with this dispatcher's own deadline. */
  async apply(customer: Customer, account: Account, password: string): Promise<SyncOutcome> {
    const binding = customer.directory;
    if (!binding) {
      this.#log.error({ customerId: customer.id, accountId: account.id, errorClass: 'C' }, 'customer has no directory binding');
      return { kind: 'config' };
    }
    const outcome = await this.write(binding, account, password, {
      attemptId: randomUUID(), isRetry: false, deadlineMs: this.#deadlineMs,
    });
    if (outcome.kind === 'policy') return { kind: 'policy', message: outcome.message };
    return { kind: outcome.kind };
  }

  async write(target: DirectoryTarget, account: Account, password: string, opts: TargetWrite): Promise<TargetOutcome> {
    const where = { customerId: account.customerId, accountId: account.id, directory: target.instance };
    const entry = this.#registry.get(target.instance);
    if (!entry) return this.#config(where, 'directory instance is not configured', `The directory "${target.instance}" is not configured.`);
    const ref = accountRefFor(target.mapping, account);
    if (!ref) {
      return this.#config({ ...where, mapping: target.mapping }, 'mapping rule gives no directory identity for this account',
        `The mapping rule "${target.mapping}" gives no directory identity for this account.`);
    }

    const deadlineAt = this.#now() + opts.deadlineMs;
    const maxAttempts = Math.max(1, opts.maxAttempts ?? this.#maxAttempts);
    const adapter = entry.adapter;
    const ctx = { ...where, plugin: entry.plugin, by: ref.by, attemptId: opts.attemptId };

    const resolved = await this.#withRetries(deadlineAt, maxAttempts, () => adapter.resolveAccount(ref));
    // A lookup changes nothing, even one that timed out: only an earlier attempt can leave doubt here.
    if (!resolved.ok) return this.#failed({ ...ctx, step: 'resolve', attempts: resolved.attempts }, resolved.error, password, opts.isRetry, false);
    const found = resolved.value;
    if (!found) {
      return this.#config({ ...ctx, step: 'resolve' }, 'no directory account matches this account: check the mapping',
        'The directory has no account matching this user: check the mapping.', true);
    }

    // A later call is a retry only when an earlier one may have landed; after a clean refusal,
    // "used before" must stay a policy answer, not become "probably applied".
    let isRetry = opts.isRetry;
    const set = await this.#withRetries(deadlineAt, maxAttempts, async () => {
      try {
        return await adapter.setPassword(found, password, { reason: 'self-service', attemptId: opts.attemptId, isRetry });
      } catch (e) {
        if (maybeLanded(e)) isRetry = true;
        throw e;
      }
    });
    if (!set.ok) return this.#failed({ ...ctx, step: 'setPassword', attempts: set.attempts }, set.error, password, isRetry, true);

    const result: SetPasswordResult = set.value;
    const sessions = opts.revokeSessions ? await this.#revoke(adapter, found, result, deadlineAt, ctx) : undefined;
    this.#log.info({ ...ctx, attempts: set.attempts, applied: result.applied, sessionsRevoked: result.sessionsRevoked, sessions },
      'password written to directory');
    return { kind: 'applied', probable: result.applied === 'probable', ...(sessions ? { sessions } : {}) };
  }

  async policyHints(targets: DirectoryTarget[]): Promise<PolicyHint[]> {
    const instances = [...new Set(targets.map((t) => t.instance))];
    const hints = await Promise.all(instances.map(async (id): Promise<PolicyHint | undefined> => {
      const adapter = this.#registry.get(id)?.adapter;
      if (!adapter?.capabilities.policyHints || !adapter.policyHints) return undefined;
      try {
        return await this.#beforeDeadline(adapter.policyHints(), this.#now() + this.#hintsTimeoutMs);
      } catch (e) {
        // The directory still checks the password itself; the form just cannot warn beforehand.
        this.#log.warn({ directory: id, errorClass: classifyError(e), error: (e as { name?: string } | null)?.name }, 'directory did not say what it enforces');
        return undefined;
      }
    }));
    return hints.filter((h): h is PolicyHint => h !== undefined);
  }

  async #revoke(adapter: Adapter, account: DirectoryAccount, result: SetPasswordResult, deadlineAt: number, ctx: object) {
    if (result.sessionsRevoked === 'all') return 'by-target' as const;
    if (!adapter.capabilities.revokeSessions || !adapter.revokeSessions) return 'not-supported' as const;
    try {
      // The password is in place already; give the revocation a fair chance even at the deadline.
      await this.#beforeDeadline(adapter.revokeSessions(account), Math.max(deadlineAt, this.#now() + 2_000));
      return 'revoked' as const;
    } catch (e) {
      this.#log.warn({ ...ctx, errorClass: classifyError(e), error: (e as { name?: string } | null)?.name }, 'sessions at the directory were not revoked');
      return 'failed' as const;
    }
  }

  async #withRetries<T>(deadlineAt: number, maxAttempts: number, call: () => Promise<T>): Promise<Step<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await this.#beforeDeadline(call(), deadlineAt), attempts: attempt };
      } catch (error) {
        if (classifyError(error) !== 'T' || attempt >= maxAttempts) return { ok: false, error, attempts: attempt };
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

  #failed(ctx: Record<string, unknown>, error: unknown, password: string, mayHaveLanded: boolean, writing: boolean): Failure {
    const cls = classifyError(error);
    const e = (error ?? {}) as {
      name?: unknown; message?: unknown; safeDiagnostic?: unknown; providerStatus?: unknown; providerCode?: unknown;
      reason?: unknown; outcomeUnknown?: unknown; violations?: unknown; retryAfterMs?: unknown;
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
    // An adapter error's message is written for people; anything else gets generic words.
    const fromAdapter = (error as { class?: unknown } | null)?.class !== undefined && typeof e.message === 'string' && e.message !== '';
    const words = (fallback: string) => clip(hidePassword({ m: fromAdapter ? e.message : fallback }, password).m as string);
    const diagnostic = typeof detail.safeDiagnostic === 'string' ? { diagnostic: clip(detail.safeDiagnostic) } : {};
    if (cls === 'P') {
      const messages = Array.isArray(e.violations)
        ? e.violations.map((v: { message?: unknown }) => v?.message).filter((m): m is string => typeof m === 'string' && m !== '')
        : [];
      this.#log.info(detail, 'directory rejected the password by policy');
      const message = messages.length ? messages.join(' ') : 'The directory did not accept this password. Choose a different one.';
      // Reason codes let the hosted page say it in the user's language.
      const reasons = Array.isArray(e.violations)
        ? e.violations.map((v: { reason?: unknown }) => v?.reason).filter((r): r is string => typeof r === 'string')
        : [];
      return { kind: 'policy', message, detail: `Refused by the directory's password rules: ${message}`, reasons, ...diagnostic };
    }
    if (cls === 'T') {
      this.#log.warn(detail, 'directory unavailable; gave up retrying');
      const outcomeUnknown = mayHaveLanded || (writing && e.outcomeUnknown === true);
      const retryAfterMs = typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {};
      const unsure = outcomeUnknown ? ' It may have taken the password before the answer was lost.' : '';
      return { kind: 'transient', outcomeUnknown, ...retryAfterMs, detail: words('The directory could not be reached.') + unsure, ...diagnostic };
    }
    this.#log.error(detail, cls === 'NF' ? 'directory account not found: check the mapping' : 'directory configuration or access problem');
    if (cls === 'NF') return { kind: 'config', notFound: true, detail: 'The directory has no account matching this user: check the mapping.', ...diagnostic };
    return { kind: 'config', notFound: false, detail: words('The directory refused the request: a configuration or access problem.'), ...diagnostic };
  }

  #config(ctx: Record<string, unknown>, why: string, words: string, notFound = false): Failure {
    this.#log.error({ ...ctx, errorClass: notFound ? 'NF' : 'C' }, why);
    return { kind: 'config', notFound, detail: words };
  }
}

const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 299)}…` : s);

/** A last guard: the password must not reach a log even if a plugin put it in a "safe" field. */
function hidePassword(obj: Record<string, unknown>, password: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' && password !== '' ? v.split(password).join('••••') : v;
  }
  return out;
}
