import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Level, Logger } from 'pino';

/**
 * A path as it may be logged: no reset token, no query string (it can carry an email or a return
 * path). Routes match without regard to case, and a request line may carry a whole URL.
 */
export function loggablePath(url: string | undefined): string {
  const path = ((url ?? '').split('?')[0] ?? '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return path.replace(/^\/reset\/(?!code\/?$)[^/]+/i, '/reset/[token]');
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;
const QUIET = new Set(['/healthz', '/metrics', '/readyz']);

// A client that goes away before the answer is complete is worth a warning, not an error.
const levelOf = (res: Response, finished: boolean): Level =>
  res.statusCode >= 500 ? 'error' : !finished || res.statusCode >= 400 ? 'warn' : 'info';

/**
 * One JSON line per request with a request id (taken from X-Request-Id when it looks sane), in
 * the shape pino-http writes. pino-http built three child loggers per request whether or not the
 * line was written, a fifth of a hosted page's time on the bench (docs/performance.md); here the
 * line is only assembled when its level is enabled.
 */
export function httpLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    if (QUIET.has(req.url)) return next();
    const started = Date.now();
    // The URL is read now: routers rewrite req.url on the way down.
    const { method, url } = req;
    let done = false;
    const complete = () => {
      if (done) return;
      done = true;
      const level = levelOf(res, res.writableFinished);
      if (!logger.isLevelEnabled(level)) return;
      // Known once the route ran: the signed-in admin's partner, and the company the page is about.
      const partnerId = (res.locals as { user?: { partnerId?: string } }).user?.partnerId;
      const companyId = /^\/admin\/customers\/([^/?]+)/.exec(url)?.[1];
      logger[level]({
        reqId: id,
        req: { id, method, path: loggablePath(url) },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
        ...(partnerId ? { partnerId } : {}),
        ...(companyId ? { customerId: safeDecode(companyId) } : {}),
      }, !res.writableFinished ? 'request aborted' : level === 'error' ? 'request errored' : 'request completed');
    };
    res.once('finish', complete);
    res.once('close', complete);
    next();
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
