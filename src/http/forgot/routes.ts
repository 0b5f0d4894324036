import { Router, type Response } from 'express';
import { AppError } from '../../domain/errors.js';
import type { Message } from '../../i18n/index.js';
import type { SelfServiceService } from '../../services/self-service.js';
import { requestContext } from '../middleware/context.js';
import { useLocale } from '../middleware/locale.js';

const throttled = (res: Response, retryAfterSeconds: number) => {
  res.set('Retry-After', String(retryAfterSeconds));
  res.status(429).render('errors/throttled', { minutes: Math.ceil(retryAfterSeconds / 60) });
};

const problem = (key: string): Message => ({ key: `public:forgot.${key}` });

/** Public "Forgot your password?" pages: one per partner that offers it, and a generic entry. */
export function forgotRoutes(deps: { selfService: SelfServiceService; ttlMinutes: number }): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.render('forgot/find', { value: '', error: undefined });
  });

  router.post('/', async (req, res) => {
    const value = String(req.body?.company ?? '').trim().slice(0, 200);
    const partner = await deps.selfService.findPartner(value);
    if (!partner) {
      res.status(400).render('forgot/find', { value, error: problem(value ? 'find.unknown' : 'find.empty') });
      return;
    }
    res.redirect(303, `/forgot/${encodeURIComponent(partner.id)}`);
  });

  router.get('/:partnerId', async (req, res) => {
    const partner = await deps.selfService.partner(req.params.partnerId);
    if (!partner) throw new AppError('NOT_FOUND', 404, 'Page not found.');
    // The partner's default language comes after the person's own choice and before their browser's.
    if (partner.defaultLocale) useLocale(req, res, [partner.defaultLocale]);
    res.render('forgot/request', { partnerName: partner.name, partnerId: partner.id, error: undefined });
  });

  router.post('/:partnerId', async (req, res) => {
    const partner = await deps.selfService.partner(req.params.partnerId);
    if (!partner) throw new AppError('NOT_FOUND', 404, 'Page not found.');
    if (partner.defaultLocale) useLocale(req, res, [partner.defaultLocale]);
    const identifier = String(req.body?.identifier ?? '').trim();
    if (!identifier) {
      res.status(400).render('forgot/request', { partnerName: partner.name, partnerId: partner.id, error: problem('request.empty') });
      return;
    }
    // A language picked on these pages says more about the requester than their browser does.
    const choice = res.locals.languageChoice as string | undefined;
    const ctx = requestContext(req);
    const result = await deps.selfService.request(partner, identifier, choice ? { ...ctx, acceptLanguage: choice } : ctx);
    if (result.status === 'throttled') return throttled(res, result.retryAfterSeconds);
    res.render('forgot/sent', { partnerName: partner.name, ttlMinutes: deps.ttlMinutes });
  });

  return router;
}

export { throttled };
