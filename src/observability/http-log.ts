import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** A path as it may be logged: no reset token, no query string (it can carry an email or a return path). */
export function loggablePath(url: string | undefined): string {
  const path = (url ?? '').split('?')[0] ?? '';
  return path.replace(/^\/reset\/(?!code$)[^/]+/, '/reset/[token]');
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** One JSON line per request with a request id (taken from X-Request-Id when it looks sane). */
export function httpLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: IncomingMessage & { id?: unknown; raw?: IncomingMessage }) => ({
        id: req.id,
        method: req.method,
        path: loggablePath((req.raw ?? req).url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' || req.url === '/readyz' },
    quietReqLogger: true,
    // Known once the route ran: the signed-in admin's partner, and the company the page is about.
    customProps: (req, res) => {
      const locals = (res as unknown as { locals?: { user?: { partnerId?: string } } }).locals;
      const companyId = /^\/admin\/customers\/([^/?]+)/.exec(req.url ?? '')?.[1];
      return {
        ...(locals?.user?.partnerId ? { partnerId: locals.user.partnerId } : {}),
        ...(companyId ? { customerId: decodeURIComponent(companyId) } : {}),
      };
    },
  });
}
