import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../../domain/errors.js';
import type { Logger } from '../../sync/contract.js';
import type { Translator } from '../../i18n/index.js';
import { ensureLocale } from './locale.js';
import { loggablePath } from '../../observability/http-log.js';

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new AppError('NOT_FOUND', 404, 'Page not found.'));
};

/** Exposed errors show their message; anything else becomes a generic page with a correlation id. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = typeof err?.status === 'number' ? err.status : typeof err?.statusCode === 'number' ? err.statusCode : 500;
    const exposed = err instanceof AppError ? err.expose : status < 500 && typeof err?.message === 'string';
    const correlationId = randomUUID();
    // 503 is an outage of something we depend on (the database), not a bug: no stack, and a time to come back.
    const outage = status === 503 && err instanceof AppError;
    if (outage) {
      logger.warn({ correlationId, code: err.code, detail: err.detail, path: loggablePath(req.originalUrl) }, 'request failed: service unavailable');
      res.set('Retry-After', '60');
    } else if (status >= 500) logger.error({ correlationId, code: err?.code, err: String(err?.stack ?? err).slice(0, 2000), path: loggablePath(req.originalUrl) }, 'request failed');
    const message = exposed ? String(err.message) : 'Something went wrong on our side. Please try again in a few minutes.';
    const code = (err instanceof AppError ? err.code : err?.code) ?? (status === 404 ? 'NOT_FOUND' : 'INTERNAL');
    res.status(status);
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ error: code, message, ...(exposed ? {} : { correlationId }) });
      return;
    }
    // Pages speak the reader's language: a known code has words in every language, others keep theirs.
    ensureLocale(req, res);
    const tr = res.locals.translator as Translator;
    const key = `public:errors.codes.${exposed ? code : 'INTERNAL'}`;
    const title = tr.t(`public:errors.title.${status === 404 ? 'notFound' : outage ? 'unavailable' : 'error'}`);
    res.render('errors/error', { status, message: tr.has(key) ? tr.t(key) : message, correlationId: exposed ? undefined : correlationId, title });
  };
}
