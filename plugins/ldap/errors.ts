// Maps what ldapts throws (LDAP results, ppolicy verdicts, socket and TLS failures) to the contract's
// four classes, as ADAPTERS.md §7 lays out. Pure: the real answers are exercised in the tests.
import { ResultCodeError } from 'ldapts';
import {
  AdapterError, ConfigurationError, PolicyRejectedError, TransientError, UserNotFoundError,
} from '../../src/sync/contract.js';
import { PPOLICY_ERRORS } from './ber.js';
import type { Mode } from './config.js';
import { USER_WORDS, activeDirectoryViolation, adErrorCode, openldapViolation, ppolicyViolation } from './messages.js';

const wrongCurrentPassword = { reason: 'WRONG_CURRENT_PASSWORD' as const, message: USER_WORDS.WRONG_CURRENT_PASSWORD };

/** Where in a session the failure happened: the same result code means different things in each. */
export type Stage = 'connect' | 'starttls' | 'bind' | 'search' | 'write';

export interface FailureContext {
  stage: Stage;
  mode: Mode;
  /** ppolicy's error number from the response control, when the server sent one. */
  ppolicyError?: number;
  /** A user's own change (with the current password) rather than a reset. */
  change?: boolean;
  /** Values that must never appear in a message (passwords, the service password). */
  secrets: ReadonlyArray<string | undefined>;
}

const RESULT_NAMES: Record<number, string> = {
  2: 'protocolError', 3: 'timeLimitExceeded', 8: 'strongerAuthRequired', 13: 'confidentialityRequired',
  19: 'constraintViolation', 32: 'noSuchObject', 34: 'invalidDNSyntax', 48: 'inappropriateAuthentication',
  49: 'invalidCredentials', 50: 'insufficientAccessRights', 51: 'busy', 52: 'unavailable', 53: 'unwillingToPerform',
};

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ETIMEDOUT']);

/** An LDAP result the server sent, with its diagnostic text (ldapts appends " Code: 0x..", which is cut off). */
export function ldapResult(e: unknown): { code: number; diagnostic: string } | undefined {
  if (!(e instanceof ResultCodeError)) return undefined;
  return { code: e.code, diagnostic: e.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '') };
}

export function toAdapterError(e: unknown, ctx: FailureContext): AdapterError {
  if (e instanceof AdapterError) return e;
  const result = ldapResult(e);
  return result ? fromResult(result.code, result.diagnostic, ctx) : fromClientFailure(e, ctx);
}

function fromResult(code: number, rawDiagnostic: string, ctx: FailureContext): AdapterError {
  const diagnostic = scrub(rawDiagnostic, ctx.secrets);
  const pp = ctx.ppolicyError;
  const init = {
    providerStatus: code,
    ...(pp !== undefined ? { providerCode: PPOLICY_ERRORS[pp] ?? `ppolicy ${pp}` } : adCode(ctx, diagnostic)),
    safeDiagnostic: `${ctx.stage}: LDAP ${code} ${RESULT_NAMES[code] ?? ''}${diagnostic ? ` (${diagnostic})` : ''}`
      + `${pp !== undefined ? `; ppolicy ${PPOLICY_ERRORS[pp] ?? pp}` : ''}`,
  };

  // A server that cannot start TLS is a setup problem however it words it (slapd says 52, "unavailable").
  if (ctx.stage === 'starttls') return noTls(init);
  if (ctx.stage === 'write') {
    // slapd refuses a wrong current password with 53 ("unwilling to verify old password"), ppolicy with error 4.
    if (ctx.change && (pp === 4 || (code === 53 && /old password/i.test(diagnostic)))) {
      return new PolicyRejectedError([wrongCurrentPassword], init);
    }
    const fromPolicy = pp !== undefined ? ppolicyViolation(pp) : undefined;
    if (fromPolicy) return new PolicyRejectedError([fromPolicy], init);
    if (pp !== undefined && pp <= 4) {
      return new ConfigurationError(`The directory refused the change for this account (${PPOLICY_ERRORS[pp]}).`, { ...init, reason: 'FORBIDDEN' });
    }
    if (code === 19) {
      return new PolicyRejectedError([ctx.mode === 'active-directory' ? activeDirectoryViolation(diagnostic) : openldapViolation(diagnostic)], init);
    }
    if (code === 53 && /too young/i.test(diagnostic)) return new PolicyRejectedError([openldapViolation(diagnostic)], init);
    if (code === 32 || code === 34) return new UserNotFoundError('The directory has no entry for this account.', init);
  }

  switch (code) {
    case 3: return new TransientError('The directory ran out of time for the request.', { ...init, reason: 'TIMEOUT', outcomeUnknown: ctx.stage === 'write' });
    case 51:
    case 52: return new TransientError('The directory is busy or unavailable.', { ...init, reason: 'UNAVAILABLE' });
    case 49: return new ConfigurationError(
      ctx.stage === 'bind' ? `The directory refused the service account's name or password${adBindDetail(diagnostic)}.` : 'The directory refused the credentials.',
      { ...init, reason: 'AUTH_FAILED' });
    case 8:
    case 13:
    case 48: return insecure(init);
    case 50: return new ConfigurationError('The service account lacks the right to do this in the directory.', { ...init, reason: 'FORBIDDEN' });
    case 2: return new ConfigurationError(
      ctx.stage === 'write' ? 'The directory does not support this way of setting passwords (see passwordMethod).' : 'The directory did not understand the request.',
      { ...init, reason: 'UNSUPPORTED' });
    case 53: return adErrorCode(diagnostic) === '0000001F' ? insecure(init)
      : new ConfigurationError('The directory is unwilling to perform this change.', { ...init, reason: 'FORBIDDEN' });
    case 32: return new ConfigurationError(
      ctx.stage === 'search' ? 'The base DN does not exist in the directory.' : 'The directory has no such entry.',
      { ...init, reason: 'BAD_TARGET_CONFIG' });
    default: return new ConfigurationError(`The directory answered with LDAP result ${code}.`, { ...init, reason: 'BAD_TARGET_CONFIG' });
  }
}

function insecure(init: object): ConfigurationError {
  return new ConfigurationError('The directory requires an encrypted connection: use ldaps:// or StartTLS.', { ...init, reason: 'INSECURE_TRANSPORT' });
}

function noTls(init: object): ConfigurationError {
  return new ConfigurationError('The encrypted connection to the directory could not be set up (wrong port for ldaps://, or no StartTLS).',
    { ...init, reason: 'INSECURE_TRANSPORT' });
}

function adCode(ctx: FailureContext, diagnostic: string): { providerCode?: string } {
  const code = ctx.mode === 'active-directory' ? adErrorCode(diagnostic) : undefined;
  return code ? { providerCode: code } : {};
}

/** AD's bind failures carry a sub-code ("data 532") that says what is wrong with the account. */
function adBindDetail(diagnostic: string): string {
  const sub = /\bdata ([0-9a-f]{3,8})\b/i.exec(diagnostic)?.[1]?.toLowerCase();
  const words: Record<string, string> = {
    '52e': '', '525': ' (no such account)', '530': ' (sign-in not allowed at this time)', '531': ' (sign-in not allowed from this computer)',
    '532': ' (its password has expired)', '533': ' (the account is disabled)', '701': ' (the account has expired)',
    '773': ' (its password must be changed)', '775': ' (the account is locked out)',
  };
  return sub ? words[sub] ?? '' : '';
}

function fromClientFailure(e: unknown, ctx: FailureContext): AdapterError {
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
  const message = scrub(e instanceof Error ? e.message : String(e), ctx.secrets);
  const init = { ...(code ? { providerCode: code } : {}), safeDiagnostic: `${ctx.stage}: ${code ? `${code} ` : ''}${message.split('\n')[0]}` };
  const sent = ctx.stage === 'write';

  if (code === 'ENOTFOUND') return new ConfigurationError('The directory host name does not resolve.', { ...init, reason: 'BAD_TARGET_CONFIG' });
  if (code && (CERT_ERRORS.has(code) || code.startsWith('ERR_TLS_CERT'))) {
    return new ConfigurationError("The directory's TLS certificate could not be verified: set tls.caCert (and tls.serverName if the name differs).",
      { ...init, reason: 'INSECURE_TRANSPORT' });
  }
  if ((code && CONNECT_FAILURES.has(code)) || /^Connection timeout/.test(message)) {
    return new TransientError('The directory cannot be reached.', { ...init, reason: code === 'ETIMEDOUT' || !code ? 'TIMEOUT' : 'UNAVAILABLE', outcomeUnknown: sent && code !== 'ECONNREFUSED' });
  }
  if (code?.startsWith('ERR_SSL') || ctx.stage === 'starttls') return noTls(init);
  if (/Operation timed out/.test(message)) {
    return new TransientError('The directory did not answer in time.', { ...init, reason: 'TIMEOUT', outcomeUnknown: sent });
  }
  if (/Connection closed|Socket error|Socket connection not established/.test(message)) {
    return new TransientError('The connection to the directory broke off.', { ...init, reason: 'UNAVAILABLE', outcomeUnknown: sent });
  }
  return new ConfigurationError('The directory request failed unexpectedly.', { ...init, reason: 'BAD_TARGET_CONFIG' });
}

const CERT_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'HOSTNAME_MISMATCH',
]);

/** Server and library text is untrusted: cut out every secret (a custom quality module may echo the password). */
export function scrub(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of [...secrets].filter((x): x is string => !!x).sort((a, b) => b.length - a.length)) out = out.split(s).join('••••');
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}
