import type { RequestHandler, Response } from 'express';
import { IdempotencyService } from '../../services/idempotency.js';
import type { ApiCaller } from '../../services/provisioning.js';
import type { Logger } from '../../sync/contract.js';
import { ApiProblem } from './problems.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on POST. The first request with a key runs and its answer is kept; a retry with
 * the same key and body gets that answer again (marked `Idempotent-Replayed: true`), with another
 * body 422. A failure worth retrying (5xx, 429) frees the key instead of being kept.
 */
export function idempotency(service: IdempotencyService, logger: Logger): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined) {
      next();
      return;
    }
    if (!KEY.test(key)) {
      const message = 'Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is a good choice).';
      throw new ApiProblem('validation', message, { errors: [{ path: '/headers/idempotency-key', message }] });
    }
    const scope = (res.locals.caller as ApiCaller).client.id;
    const hash = IdempotencyService.requestHash(req.method, `${req.baseUrl}${req.path}`, req.body);
    const begun = await service.begin(scope, key, hash);
    if (begun.kind === 'mismatch') throw new ApiProblem('idempotency-key-reused', 'This Idempotency-Key was used with another request; use a new key for a new request.');
    if (begun.kind === 'in-progress') {
      throw new ApiProblem('idempotency-key-in-use', 'The first request with this Idempotency-Key is still running; retry in a moment.', { headers: { 'Retry-After': '1' } });
    }
    if (begun.kind === 'replay') {
      res.status(begun.status).set('Idempotent-Replayed', 'true')
        .type(begun.status >= 400 ? 'application/problem+json' : 'application/json').send(begun.body);
      return;
    }
    keepAnswer(res, (status, body) => (status >= 500 || status === 429 ? service.release(scope, key) : service.finish(scope, key, status, body)), logger);
    next();
  };
}

/** Stores the answer before it is sent, so a retry arriving right after it already finds it. */
function keepAnswer(res: Response, keep: (status: number, body: string) => Promise<void>, logger: Logger): void {
  const send = res.json.bind(res);
  res.json = ((body: unknown) => {
    // An answer holding a secret (a returned reset link) is kept as what replaces it, never itself.
    const kept = res.locals.replayAs as { status: number; body: unknown } | undefined;
    keep(kept?.status ?? res.statusCode, JSON.stringify(kept ? kept.body : body))
      .catch((e: Error) => logger.warn({ error: e.message }, 'could not keep the answer of an idempotent request'))
      .finally(() => send(body));
    return res;
  }) as Response['json'];
}
