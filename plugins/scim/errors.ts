// Maps SCIM answers (RFC 7644 §3.12 error bodies, HTTP statuses) and network failures to the contract's
// error classes. The table follows ADAPTERS.md §2; policy wording lives in policy.ts.
import {
  ConfigurationError, PolicyRejectedError, TransientError, UserNotFoundError,
} from '../../src/sync/contract.js';
import type { AdapterError, ConfigurationReason, TransientReason } from '../../src/sync/contract.js';
import { ScimNetworkError } from './client.js';
import type { ScimResponse } from './client.js';
import { looksLikePolicy, violationsFrom } from './policy.js';
import { scrub } from './scrub.js';

/** What the adapter was doing: the same status means different things per step (a 404 on the search is a bad URL). */
export type Step = 'probe' | 'lookup' | 'read' | 'set';

export interface ScimErrorBody {
  status?: string;
  scimType?: string;
  detail?: string;
}

export interface MapContext {
  step: Step;
  /** e.g. `PATCH /Users/{id}`: goes into safeDiagnostic, so never a query string. */
  request: string;
  now: () => Date;
  /** The token and, when setting, the password: cut out of anything the server said. */
  secrets: ReadonlyArray<string | undefined>;
}

export function errorBody(res: ScimResponse): ScimErrorBody {
  const b = (res.body ?? {}) as Record<string, unknown>;
  const pick = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
  const out: ScimErrorBody = {};
  const status = typeof b.status === 'number' ? String(b.status) : pick('status');
  if (status !== undefined) out.status = status;
  const scimType = pick('scimType');
  if (scimType !== undefined) out.scimType = scimType;
  const detail = pick('detail');
  if (detail !== undefined) out.detail = detail;
  return out;
}

/** Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

export function mapResponse(res: ScimResponse, ctx: MapContext): AdapterError {
  const body = errorBody(res);
  const detail = body.detail !== undefined ? scrub(body.detail, ctx.secrets) : undefined;
  const scimType = body.scimType;
  const status = res.status;
  const init = {
    providerStatus: status,
    ...(scimType !== undefined ? { providerCode: scimType } : {}),
    safeDiagnostic: `${ctx.request} answered ${status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail}` : ''}`,
  };
  const config = (message: string, reason: ConfigurationReason) => new ConfigurationError(message, { ...init, reason });
  const transient = (message: string, reason: TransientReason) => {
    const wait = retryAfterMs(res.retryAfter, ctx.now());
    return new TransientError(message, { ...init, reason, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
  };

  if (status === 400) {
    if (ctx.step === 'set' && (scimType === 'invalidValue' || (scimType === undefined && looksLikePolicy(body.detail)))) {
      return new PolicyRejectedError(violationsFrom(body.detail, ctx.secrets), init);
    }
    if (ctx.step === 'set' && (scimType === 'invalidPath' || scimType === 'noTarget' || scimType === 'mutability')) {
      return config('The SCIM server does not accept a new password for this user.', 'UNSUPPORTED');
    }
    if (scimType === 'invalidFilter') return config('The SCIM server refused the user search filter.', 'BAD_TARGET_CONFIG');
    return config('The SCIM server refused the request as malformed.', 'BAD_TARGET_CONFIG');
  }
  if (status === 401) {
    // A static bearer token cannot be refreshed: asking again would only fail again.
    return config('The SCIM server refused the bearer token. Replace the token in the configuration.', 'AUTH_FAILED');
  }
  if (status === 403) return config('The SCIM server token lacks the rights for this operation.', 'FORBIDDEN');
  if (status === 404) {
    if (ctx.step === 'set' || ctx.step === 'read') return new UserNotFoundError('The SCIM server has no such user.', init);
    return config('The SCIM endpoint was not found: check that the base URL is the SCIM root (e.g. …/scim/v2).', 'BAD_TARGET_CONFIG');
  }
  if (status === 412) return transient('The user changed on the SCIM server while the password was being set.', 'CONFLICT_RETRY');
  if (status === 429) return transient('The SCIM server is rate limiting requests.', 'RATE_LIMITED');
  if (status === 501) return config('The SCIM server does not implement this operation.', 'UNSUPPORTED');
  if (status >= 500) return transient('The SCIM server is unavailable.', 'UNAVAILABLE');
  if (status >= 300 && status < 400) {
    return config(`The SCIM server redirects (${status}${res.location ? ` to ${safeLocation(res.location)}` : ''}): configure the final URL.`,
      'BAD_TARGET_CONFIG');
  }
  return config(`The SCIM server gave an unexpected answer (HTTP ${status}).`, 'BAD_TARGET_CONFIG');
}

export function mapNetworkError(e: unknown, ctx: Pick<MapContext, 'step' | 'request'>): AdapterError {
  if (!(e instanceof ScimNetworkError)) {
    return new ConfigurationError('The SCIM request could not be made.', { reason: 'BAD_TARGET_CONFIG', safeDiagnostic: `${ctx.request}: failed` });
  }
  const safeDiagnostic = `${ctx.request}: ${e.message}`;
  if (e.kind === 'tls') {
    return new ConfigurationError('The SCIM server\'s TLS certificate is not trusted (NODE_EXTRA_CA_CERTS can add a private CA).', {
      reason: 'BAD_TARGET_CONFIG', safeDiagnostic, ...(e.code ? { providerCode: e.code } : {}),
    });
  }
  // Only a write whose request went out has an unknown outcome; a read changes nothing either way.
  const outcomeUnknown = ctx.step === 'set' && e.sent;
  return new TransientError(e.kind === 'timeout' ? 'The SCIM server did not answer in time.' : 'The SCIM server cannot be reached.', {
    reason: e.kind === 'timeout' ? 'TIMEOUT' : 'UNAVAILABLE', outcomeUnknown, safeDiagnostic, ...(e.code ? { providerCode: e.code } : {}),
  });
}

function safeLocation(location: string): string {
  try {
    const u = new URL(location);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'another address';
  }
}
