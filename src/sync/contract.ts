// The only module an adapter plugin imports. Everything a plugin needs from the host is here.
import { z } from 'zod';

export { z };

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PluginContext {
  logger: Logger;
  clock: { now(): Date };
  fetch: typeof fetch;
  /** Folder for plugins that keep files of their own (the embedded data folder). */
  dataDir: string;
}

export type SessionRevocation = 'all' | 'passwordBased' | 'sessionsOnly' | 'none' | 'unknown';

export interface Capabilities {
  setPassword: true;
  revokeSessions?: boolean;
  policyHints?: boolean;
  mustChangeFlag?: boolean;
  setRevokesSessions: SessionRevocation;
}

export interface Health {
  ok: boolean;
  /** Plain words for the IdP admin; never a secret. */
  message: string;
}

export type AccountRef = { by: 'login' | 'email' | 'externalId' | 'id'; value: string };

export interface DirectoryAccount {
  targetUserId: string;
  canonicalName: string;
}

export interface SetPasswordOptions {
  mustChange?: boolean;
  reason: 'admin-reset' | 'self-service';
  attemptId: string;
  isRetry: boolean;
}

export interface SetPasswordResult {
  applied: true | 'probable';
  sessionsRevoked: SessionRevocation | 'partial';
}

export interface PolicyHints {
  minLength?: number;
  maxLength?: number;
  requires?: Array<'upper' | 'lower' | 'digit' | 'special'>;
}

export interface Adapter {
  readonly capabilities: Capabilities;
  testConnection(): Promise<Health>;
  resolveAccount(ref: AccountRef): Promise<DirectoryAccount | null>;
  setPassword(account: DirectoryAccount, password: string, opts: SetPasswordOptions): Promise<SetPasswordResult>;
  revokeSessions?(account: DirectoryAccount): Promise<void>;
  policyHints?(): Promise<PolicyHints>;
  /** Checks a password against the directory (used by the demo's verify command and by tests). */
  verifyPassword?(account: DirectoryAccount, password: string): Promise<boolean>;
  close?(): Promise<void>;
}

export interface PluginDefinition<S extends z.ZodType = z.ZodType> {
  name: string;
  configSchema: S;
  create(config: z.infer<S>, ctx: PluginContext): Adapter | Promise<Adapter>;
}

export function definePlugin<S extends z.ZodType>(def: PluginDefinition<S>): PluginDefinition<S> {
  return def;
}

// ---- errors: the engine switches only on the class, never on provider codes ----

export type ViolationReason =
  | 'TOO_SHORT' | 'TOO_LONG' | 'MISSING_UPPER' | 'MISSING_LOWER' | 'MISSING_DIGIT' | 'MISSING_SPECIAL'
  | 'CONTAINS_USER_INFO' | 'IN_HISTORY' | 'TOO_YOUNG' | 'DICTIONARY_OR_BANNED' | 'PATTERN'
  | 'WRONG_CURRENT_PASSWORD' | 'GENERIC';

export interface Violation {
  reason: ViolationReason;
  /** Words for the end user. */
  message: string;
  providerKey?: string;
}

interface AdapterErrorInit {
  providerStatus?: number | string;
  providerCode?: string;
  /** Safe for the IdP admin's eyes and the audit log: never a password or token. */
  safeDiagnostic?: string;
}

export abstract class AdapterError extends Error {
  abstract readonly class: 'P' | 'T' | 'C' | 'NF';
  readonly providerStatus?: number | string;
  readonly providerCode?: string;
  readonly safeDiagnostic?: string;

  constructor(message: string, init: AdapterErrorInit = {}) {
    super(message);
    this.name = new.target.name;
    if (init.providerStatus !== undefined) this.providerStatus = init.providerStatus;
    if (init.providerCode !== undefined) this.providerCode = init.providerCode;
    if (init.safeDiagnostic !== undefined) this.safeDiagnostic = init.safeDiagnostic;
  }
}

export class PolicyRejectedError extends AdapterError {
  readonly class = 'P' as const;
  constructor(readonly violations: Violation[], init?: AdapterErrorInit) {
    super(violations.map((v) => v.message).join(' '), init);
  }
}

export type TransientReason = 'RATE_LIMITED' | 'UNAVAILABLE' | 'TIMEOUT' | 'CONFLICT_RETRY';

export class TransientError extends AdapterError {
  readonly class = 'T' as const;
  readonly retryAfterMs?: number;
  /** True when the request may have reached the target (a timeout after sending). */
  readonly outcomeUnknown: boolean;
  readonly reason?: TransientReason;
  constructor(
    message: string,
    opts: AdapterErrorInit & { retryAfterMs?: number; outcomeUnknown?: boolean; reason?: TransientReason } = {},
  ) {
    super(message, opts);
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
    this.outcomeUnknown = opts.outcomeUnknown ?? false;
    if (opts.reason !== undefined) this.reason = opts.reason;
  }
}

export type ConfigurationReason =
  | 'AUTH_FAILED' | 'FORBIDDEN' | 'INSECURE_TRANSPORT' | 'UNSUPPORTED' | 'NOT_LOCAL_AUTHORITY'
  | 'AMBIGUOUS_USER' | 'BAD_TARGET_CONFIG';

export class ConfigurationError extends AdapterError {
  readonly class = 'C' as const;
  readonly reason?: ConfigurationReason;
  constructor(message: string, opts: AdapterErrorInit & { reason?: ConfigurationReason } = {}) {
    super(message, opts);
    if (opts.reason !== undefined) this.reason = opts.reason;
  }
}

export class UserNotFoundError extends AdapterError {
  readonly class = 'NF' as const;
}
