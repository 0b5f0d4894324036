import { randomFillSync } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { doubleCsrf } from 'csrf-csrf';

const BROWSER_COOKIE = 'rb.browser';

/**
 * Double-submit CSRF tokens (csrf-csrf), bound to the admin session when there is one and
 * otherwise to a random per-browser cookie (public pages have no session).
 */
export function csrf(opts: { secret: string; secure: boolean }) {
  const cookieName = opts.secure ? '__Host-rb.csrf' : 'rb.csrf';
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => opts.secret,
    getSessionIdentifier: (req: Request) => (req.session?.user ? req.session.id : String(req.cookies?.[BROWSER_COOKIE] ?? '')),
    cookieName,
    cookieOptions: { sameSite: 'strict', secure: opts.secure, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf,
    errorConfig: { statusCode: 403, message: 'This form has expired. Go back, reload the page and try again.', code: 'CSRF_INVALID' },
  });

  const browserId: RequestHandler = (req, res, next) => {
    if (!req.cookies?.[BROWSER_COOKIE]) {
      const id = browserIdBytes().toString('base64url');
      res.cookie(BROWSER_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/' });
      req.cookies = { ...req.cookies, [BROWSER_COOKIE]: id };
    }
    next();
  };

  /** Puts `csrfToken` into every view and checks it on every POST. */
  const tokens: RequestHandler = (req, res, next) => {
    res.locals.csrfToken = () => generateCsrfToken(req, res);
    next();
  };

  return { browserId, tokens, protect: doubleCsrfProtection };
}

// Every first visit gets an id; one call into the CSPRNG per id was a few per cent of a hosted
// page's time, so ids are cut from a buffer filled 256 at a time (as randomUUID does).
const POOL = Buffer.alloc(16 * 256);
let taken = POOL.length;
function browserIdBytes(): Buffer {
  if (taken === POOL.length) {
    randomFillSync(POOL);
    taken = 0;
  }
  taken += 16;
  return POOL.subarray(taken - 16, taken);
}
