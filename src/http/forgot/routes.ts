import { Router, type Response } from 'express';
import { AppError } from '../../domain/errors.js';
import type { SelfServiceService } from '../../services/self-service.js';
import { requestContext } from '../middleware/context.js';

const throttled = (res: Response, retryAfterSeconds: number) => {
  res.set('Retry-After', String(retryAfterSeconds));
  res.status(429).render('errors/throttled', { title: 'Too many requests', minutes: Math.ceil(retryAfterSeconds / 60) });
};

/** Public "Forgot your password?" pages: one per partner that offers it, and a generic entry. */
export function forgotRoutes(deps: { selfService: SelfServiceService; ttlMinutes: number }): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.render('forgot/find', { title: 'Forgot your password?', value: '', error: undefined });
  });

  router.post('/', async (req, res) => {
    const value = String(req.body?.company ?? '').trim().slice(0, 200);
    const partner = await deps.selfService.findPartner(value);
    if (!partner) {
      res.status(400).render('forgot/find', {
        title: 'Forgot your password?', value,
        error: value ? 'We do not recognise that company domain or partner code. Check it, or ask your administrator.' : 'Enter your company\'s email domain or your partner code.',
      });
      return;
    }
    res.redirect(303, `/forgot/${encodeURIComponent(partner.id)}`);
  });

  router.get('/:partnerId', async (req, res) => {
    const partner = await deps.selfService.partner(req.params.partnerId);
    if (!partner) throw new AppError('NOT_FOUND', 404, 'Page not found.');
    res.render('forgot/request', { title: 'Forgot your password?', partnerName: partner.name, partnerId: partner.id, error: undefined });
  });

  router.post('/:partnerId', async (req, res) => {
    const partner = await deps.selfService.partner(req.params.partnerId);
    if (!partner) throw new AppError('NOT_FOUND', 404, 'Page not found.');
    const identifier = String(req.body?.identifier ?? '').trim();
    if (!identifier) {
      res.status(400).render('forgot/request', { title: 'Forgot your password?', partnerName: partner.name, partnerId: partner.id, error: 'Enter your login name or email address.' });
      return;
    }
    const result = await deps.selfService.request(partner, identifier, requestContext(req));
    if (result.status === 'throttled') return throttled(res, result.retryAfterSeconds);
    res.render('forgot/sent', { title: 'Check your email', partnerName: partner.name, ttlMinutes: deps.ttlMinutes });
  });

  return router;
}

export { throttled };
