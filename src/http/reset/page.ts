import type { Request, RequestHandler, Response } from 'express';
import type { Eta } from 'eta';
import type { ResetService } from '../../services/reset.js';
import { DEFAULT_BRAND, type BrandingService } from '../../services/branding.js';
import { requestContext } from '../middleware/context.js';
import { useLocale } from '../middleware/locale.js';
import { noStore } from '../middleware/security.js';
import { throttled } from '../forgot/routes.js';

/** A step of the page's preparation: a middleware that finishes before it returns, or a plain function. */
export type PageStep = RequestHandler | ((req: Request, res: Response) => void);

/**
 * GET /reset/:token, the page every reset mail links to and the busiest one, in one handler ahead
 * of the generic chain. It runs the same steps the chain runs for the other public pages (security
 * headers, cookies, the language picked, the browser id, the CSRF token), then finds the link and
 * renders, without what a request pays for passing through layers: matching each middleware's
 * path, the /reset router, Express's view look-up, a second language pass (docs/performance.md).
 * test/integration/security-pages.test.ts holds it to the headers and cookies of /reset/code.
 */
export function hostedResetPage(deps: {
  reset: ResetService; branding?: BrandingService; views: Eta; steps: PageStep[];
}): RequestHandler {
  const steps = [...deps.steps, noStore];
  return async (req, res, next) => {
    const token = req.params.token;
    // Routes match without regard to case: /reset/Code is the code form too.
    if (typeof token !== 'string' || token.toLowerCase() === 'code') return next();
    try {
      for (const step of steps) runToEnd(step, req, res);
      if (deps.branding) res.locals.brand = DEFAULT_BRAND;
      const opened = await deps.reset.open(token, requestContext(req));
      if (opened.status === 'throttled') {
        useLocale(req, res, []);
        return throttled(res, opened.retryAfterSeconds);
      }
      const page = opened.status === 'ok' ? opened.page : undefined;
      // A used or expired link still belongs to its company, which brands the "link expired" page.
      const owner = page ?? (opened.status === 'invalid' ? opened.owner : undefined);
      if (deps.branding && owner) {
        res.locals.brand = (await deps.branding.forTenant(owner.partnerId, owner.customerId).catch(() => undefined)) ?? res.locals.brand;
      }
      // The account's language settings count once the link tells whose page this is.
      useLocale(req, res, page?.localePreferences ?? []);
      if (!page) return send(deps.views, res, 410, 'reset/invalid', {});
      send(deps.views, res, 200, 'reset/form', { ...page, problems: [], action: req.originalUrl });
    } catch (e) {
      // The error page speaks the language picked, as on the pages the chain serves.
      if (typeof res.locals.t !== 'function') useLocale(req, res, []);
      next(e);
    }
  };
}

/** A middleware run in place: each of the page's steps is synchronous, and one that is not is a mistake to hear about. */
function runToEnd(step: PageStep, req: Request, res: Response): void {
  if (step.length < 3) return void (step as (req: Request, res: Response) => void)(req, res);
  let done = false;
  let failure: unknown;
  (step as RequestHandler)(req, res, (e?: unknown) => {
    done = true;
    failure = e;
  });
  if (failure) throw failure;
  if (!done) throw new Error(`${step.name || 'a step'} of the hosted reset page did not finish synchronously`);
}

/** What `res.render` sends, without Express's view look-up per request. */
function send(views: Eta, res: Response, status: number, view: string, data: object): void {
  const html = views.render(view, { ...res.locals, ...data });
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}
