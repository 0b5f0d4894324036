import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../domain/ports.js';
import { API_SCOPES, type ApiClient, type ApiScope } from '../domain/types.js';

/** `api.oauth` of the configuration. */
export interface OAuthSettings {
  issuer: string;
  audience: string;
  jwksUri?: string | undefined;
  scopeClaim: string;
  partnerClaim?: string | undefined;
  clockToleranceSeconds: number;
  algorithms: string[];
  allowInsecureIssuer: boolean;
}

export type TokenCheck =
  | { kind: 'ok'; client: ApiClient }
  /** `reason` may be told to the caller: it holds the token already, and the reason helps fix it. */
  | { kind: 'refused'; reason: string }
  /** The issuer's keys cannot be read now; `detail` is for the log. */
  | { kind: 'unavailable'; detail: string };

const FETCH_TIMEOUT_MS = 5_000;
const PARTNER_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const CLIENT_ID = /^[\x21-\x7e]{1,200}$/;

/** A compact JWS: three base64url parts. Our own API client tokens have one dot, never two. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

/**
 * OAuth 2.0 client credentials for the REST API: a bearer JWT access token from the configured
 * authorization server, checked with jose (signature against the issuer's published keys, `iss`,
 * `aud`, `exp`/`nbf`, an allow-list of asymmetric algorithms). The caller then looks like an API
 * client named by the token's client id, with the token's scopes that are ours.
 */
export class OAuthTokenVerifier {
  private keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(private readonly settings: OAuthSettings, private readonly deps: { clock: Clock }) {}

  async check(token: string): Promise<TokenCheck> {
    const { settings } = this;
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.keySet();
    } catch (e) {
      return { kind: 'unavailable', detail: (e as Error).message };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer, audience: settings.audience, algorithms: settings.algorithms,
        clockTolerance: settings.clockToleranceSeconds, currentDate: this.deps.clock.now(), requiredClaims: ['exp'],
      }));
    } catch (e) {
      return refusalOf(e);
    }
    return this.callerOf(payload);
  }

  private callerOf(payload: JWTPayload): TokenCheck {
    const clientId = [payload.client_id, payload.azp, payload.sub].find((v): v is string => typeof v === 'string' && v !== '');
    if (!clientId || !CLIENT_ID.test(clientId)) return { kind: 'refused', reason: 'the token names no client (client_id, azp or sub).' };
    const { partnerClaim, scopeClaim } = this.settings;
    const partner = partnerClaim ? payload[partnerClaim] : undefined;
    if (partner !== undefined && (typeof partner !== 'string' || !PARTNER_ID.test(partner))) {
      return { kind: 'refused', reason: `the token's ${partnerClaim} claim is not a partner id.` };
    }
    const granted = scopesOf(payload[scopeClaim]);
    const scopes = API_SCOPES.filter((s): s is ApiScope => granted.has(s));
    const client: ApiClient = {
      id: `oauth:${clientId}`, name: clientId, scopes, ...(partner ? { partnerId: partner } : {}),
      // Never stored: the token stands in for the secret, so there is no hash to keep.
      secretHash: '',
      createdAt: new Date((payload.iat ?? 0) * 1000).toISOString(), createdBy: `oauth:${this.settings.issuer}`,
    };
    return { kind: 'ok', client };
  }

  /** The issuer's key set, found once (a failure is forgotten, so the next request tries again). */
  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.jwksUri().then((uri) => createRemoteJWKSet(new URL(uri), {
      timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000,
    }));
    this.keys.catch(() => {
      this.keys = undefined;
    });
    return this.keys;
  }

  private async jwksUri(): Promise<string> {
    const { settings } = this;
    if (settings.jwksUri) return settings.jwksUri;
    const base = settings.issuer.replace(/\/$/, '');
    const origin = new URL(settings.issuer).origin;
    // OpenID Connect discovery first, then RFC 8414 (which puts the well-known part before the path).
    const candidates = [`${base}/.well-known/openid-configuration`, `${origin}/.well-known/oauth-authorization-server${new URL(settings.issuer).pathname.replace(/\/$/, '')}`];
    const failures: string[] = [];
    for (const url of candidates) {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } }).catch((e: Error) => e);
      if (res instanceof Error || !res.ok) {
        failures.push(`${url}: ${res instanceof Error ? res.message : `HTTP ${res.status}`}`);
        continue;
      }
      const meta = await res.json() as { issuer?: unknown; jwks_uri?: unknown };
      // A document for another issuer would let that issuer's keys in (RFC 8414 section 3.3).
      if (meta.issuer !== settings.issuer) throw new Error(`discovery at ${url} names the issuer ${String(meta.issuer)}, not ${settings.issuer}`);
      if (typeof meta.jwks_uri !== 'string') throw new Error(`discovery at ${url} has no jwks_uri`);
      if (!settings.allowInsecureIssuer && !meta.jwks_uri.startsWith('https:')) throw new Error(`the jwks_uri ${meta.jwks_uri} is not https`);
      return meta.jwks_uri;
    }
    throw new Error(`no discovery document: ${failures.join('; ')}`);
  }
}

function scopesOf(claim: unknown): Set<string> {
  if (typeof claim === 'string') return new Set(claim.split(' ').filter(Boolean));
  if (Array.isArray(claim)) return new Set(claim.filter((s): s is string => typeof s === 'string'));
  return new Set();
}

/** What went wrong with a token, in words for the one who sent it. */
function refusalOf(e: unknown): TokenCheck {
  const refused = (reason: string): TokenCheck => ({ kind: 'refused', reason });
  if (e instanceof errors.JWTExpired) return refused('the token has expired.');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return refused('the token is for another audience.');
    if (e.claim === 'iss') return refused('the token is from another issuer.');
    if (e.claim === 'nbf' || e.claim === 'iat') return refused('the token is not valid yet.');
    return refused(`the token's ${e.claim} claim is missing or not valid.`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return refused('the token is signed with an algorithm this API does not accept.');
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWSSignatureVerificationFailed) {
    return refused("the token's signature does not verify with the issuer's published keys.");
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid || e instanceof errors.JOSENotSupported || e instanceof errors.JWKSMultipleMatchingKeys) {
    return refused('the token is not a well-formed signed JWT.');
  }
  // Reading the key set failed (timeout, network, not 200, not JSON): not the caller's fault.
  return { kind: 'unavailable', detail: e instanceof Error ? e.message : String(e) };
}
