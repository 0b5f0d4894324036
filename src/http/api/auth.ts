import type { RequestHandler } from 'express';
import type { ApiClient, ApiScope } from '../../domain/types.js';
import { grants, type ApiClientService } from '../../services/api-clients.js';
import { looksLikeJwt, type OAuthTokenVerifier } from '../../services/api-oauth.js';
import type { ApiCaller } from '../../services/provisioning.js';
import type { Logger } from '../../sync/contract.js';
import { requestContext } from '../middleware/context.js';
import { ApiProblem } from './problems.js';

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

/** RFC 6750's quoted-string: no quote or backslash inside. */
const quoted = (s: string) => s.replace(/["\\]/g, '');

/**
 * `Authorization: Bearer <client id>.<secret>`, or with `api.oauth` a JWT access token from that
 * authorization server. A bearer header, not HTTP Basic: a browser never sends it by itself, so a
 * page elsewhere cannot borrow a signed-in operator's credentials (this API has no CSRF protection,
 * being no browser surface).
 */
export function authenticate(clients: ApiClientService, oauth: OAuthTokenVerifier | undefined, logger: Logger): RequestHandler {
  const expected = oauth
    ? 'Send "Authorization: Bearer <client id>.<secret>" or an OAuth access token from the configured issuer as "Authorization: Bearer <token>".'
    : 'Send the client credentials as "Authorization: Bearer <client id>.<secret>".';
  return async (req, res, next) => {
    const m = BEARER.exec(req.get('authorization') ?? '');
    if (!m) throw new ApiProblem('unauthorized', expected, { headers: { 'WWW-Authenticate': 'Bearer realm="resetbridge"' } });
    const token = m[1]!;
    const client = oauth && looksLikeJwt(token) ? await accessTokenClient(oauth, token, logger) : await clients.authenticate(token);
    if (!client) {
      throw new ApiProblem('unauthorized', 'These credentials are not valid: an unknown client, a wrong secret, or a revoked client.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="resetbridge", error="invalid_token"' },
      });
    }
    const caller: ApiCaller = { client, ctx: requestContext(req) };
    res.locals.caller = caller;
    next();
  };
}

async function accessTokenClient(oauth: OAuthTokenVerifier, token: string, logger: Logger): Promise<ApiClient> {
  const checked = await oauth.check(token);
  if (checked.kind === 'ok') return checked.client;
  if (checked.kind === 'unavailable') {
    logger.warn({ error: checked.detail }, 'cannot read the OAuth issuer\'s signing keys');
    throw new ApiProblem('unavailable', 'Access tokens cannot be checked just now (the issuer\'s keys cannot be read); try again shortly.', { headers: { 'Retry-After': '30' } });
  }
  throw new ApiProblem('unauthorized', `This access token is not accepted: ${checked.reason}`, {
    headers: { 'WWW-Authenticate': `Bearer realm="resetbridge", error="invalid_token", error_description="${quoted(checked.reason)}"` },
  });
}

export function requireScope(scope: ApiScope): RequestHandler {
  return (_req, res, next) => {
    const { client } = res.locals.caller as ApiCaller;
    if (!grants(client, scope)) {
      throw new ApiProblem('insufficient-scope', `This needs the scope ${scope}; the client has ${client.scopes.join(', ') || 'none of this API\'s scopes'}.`, {
        headers: { 'WWW-Authenticate': `Bearer realm="resetbridge", error="insufficient_scope", scope="${scope}"` },
      });
    }
    next();
  };
}
