import type { RequestHandler } from 'express';
import type { ApiScope } from '../../domain/types.js';
import { grants, type ApiClientService } from '../../services/api-clients.js';
import type { ApiCaller } from '../../services/provisioning.js';
import { requestContext } from '../middleware/context.js';
import { ApiProblem } from './problems.js';

const BEARER = /^Bearer[ ]+([^\s]+)[ ]*$/i;

/**
 * `Authorization: Bearer <client id>.<secret>`. A bearer header, not HTTP Basic: a browser never
 * sends it by itself, so a page elsewhere cannot borrow a signed-in operator's credentials (this
 * API has no CSRF protection, being no browser surface).
 */
export function authenticate(clients: ApiClientService): RequestHandler {
  return async (req, res, next) => {
    const m = BEARER.exec(req.get('authorization') ?? '');
    if (!m) {
      throw new ApiProblem('unauthorized', 'Send the client credentials as "Authorization: Bearer <client id>.<secret>".', {
        headers: { 'WWW-Authenticate': 'Bearer realm="resetbridge"' },
      });
    }
    const client = await clients.authenticate(m[1]!);
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

export function requireScope(scope: ApiScope): RequestHandler {
  return (_req, res, next) => {
    const { client } = res.locals.caller as ApiCaller;
    if (!grants(client, scope)) {
      throw new ApiProblem('insufficient-scope', `This needs the scope ${scope}; the client has ${client.scopes.join(', ')}.`, {
        headers: { 'WWW-Authenticate': `Bearer realm="resetbridge", error="insufficient_scope", scope="${scope}"` },
      });
    }
    next();
  };
}
