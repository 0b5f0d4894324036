import { Router, type Request, type Response } from 'express';
import { AppError } from '../../domain/errors.js';
import type { AdminUser } from '../../domain/types.js';
import type { Message } from '../../i18n/index.js';
import { type IssuedWebhookSecret, type WebhookInput, type WebhookService } from '../../services/webhooks.js';
import { InputError } from '../../services/input-error.js';
import { translatorOf } from './words.js';
import { requestContext } from '../middleware/context.js';
import { noStore } from '../middleware/security.js';

const manager = (res: Response) => ({ admin: res.locals.user as AdminUser });

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

interface Form { error?: string | Message; name: string; url: string; events: string[]; partnerId: string }

const formOf = (req: Request): Form => ({
  name: String(req.body?.name ?? ''), url: String(req.body?.url ?? ''), events: list(req.body?.events), partnerId: String(req.body?.partnerId ?? ''),
});

const inputOf = (f: Form): WebhookInput => ({ name: f.name, url: f.url, events: f.events, ...(f.partnerId ? { partnerId: f.partnerId } : {}) });

/** Fixed words for what the last action did: nothing from the query string is echoed. */
const NOTICES = new Set(['test', 'redelivery', 'disabled', 'enabled', 'saved']);

const isValidation = (e: unknown): e is AppError => e instanceof AppError && e.code === 'VALIDATION';

/** The form's message by its key when the service gave one, so it shows in the page's language. */
const messageOf = (e: AppError): string | Message => (e instanceof InputError ? e.text : e.message);

/** IdP admin pages: webhook subscriptions — list, create (secret shown once), edit, rotate, delete, delivery log. */
export function webhookRoutes(deps: { webhooks: WebhookService }): Router {
  const router = Router();
  const { webhooks } = deps;

  async function listPage(req: Request, res: Response, status = 200, form?: Form) {
    const by = manager(res);
    const [subscriptions, choices] = await Promise.all([webhooks.list(by), webhooks.choices(by)]);
    res.status(status).render('idp-admin/webhooks', {
      title: translatorOf(res).t('admin:idp.webhooks.title'), subscriptions, ...choices, partnerNames: Object.fromEntries(choices.partners.map((p) => [p.id, p.name])),
      form: form ?? { name: '', url: '', events: [], partnerId: '' },
      deleted: req.query.deleted === '1',
    });
  }

  async function detailPage(req: Request, res: Response, status = 200, form?: Form) {
    const by = manager(res);
    const id = String(req.params.id);
    const [{ subscription, deliveries }, choices] = await Promise.all([webhooks.get(by, id), webhooks.choices(by)]);
    res.status(status).render('idp-admin/webhook', {
      title: translatorOf(res).t('admin:idp.webhooks.pageTitle', { name: subscription.name }), subscription, deliveries, ...choices,
      partnerNames: Object.fromEntries(choices.partners.map((p) => [p.id, p.name])),
      form: form ?? { name: subscription.name, url: subscription.url, events: subscription.events, partnerId: subscription.partnerId ?? '' },
      notice: typeof req.query.done === 'string' && NOTICES.has(req.query.done) ? { key: `admin:idp.webhooks.notice.${req.query.done}` } : undefined,
    });
  }

  function secretPage(res: Response, issued: IssuedWebhookSecret, rotated: boolean) {
    res.status(rotated ? 200 : 201).render('idp-admin/webhook-secret', { title: translatorOf(res).t('admin:idp.webhooks.secretPageTitle'), ...issued, rotated });
  }

  const back = (res: Response, id: string, done: string) => res.redirect(303, `/idp-admin/webhooks/${encodeURIComponent(id)}?done=${done}`);

  router.get('/webhooks', (req, res) => listPage(req, res));

  router.post('/webhooks', noStore, async (req, res) => {
    const form = formOf(req);
    try {
      secretPage(res, await webhooks.create(manager(res), inputOf(form), requestContext(req)), false);
    } catch (e) {
      if (!isValidation(e)) throw e;
      await listPage(req, res, 422, { ...form, error: messageOf(e) });
    }
  });

  router.get('/webhooks/:id', (req, res) => detailPage(req, res));

  router.post('/webhooks/:id', async (req, res) => {
    const form = formOf(req);
    try {
      const s = await webhooks.update(manager(res), String(req.params.id), inputOf(form), requestContext(req));
      back(res, s.id, 'saved');
    } catch (e) {
      if (!isValidation(e)) throw e;
      await detailPage(req, res, 422, { ...form, error: messageOf(e) });
    }
  });

  router.post('/webhooks/:id/disable', async (req, res) => {
    back(res, (await webhooks.setDisabled(manager(res), String(req.params.id), true, requestContext(req))).id, 'disabled');
  });

  router.post('/webhooks/:id/enable', async (req, res) => {
    back(res, (await webhooks.setDisabled(manager(res), String(req.params.id), false, requestContext(req))).id, 'enabled');
  });

  router.post('/webhooks/:id/rotate', noStore, async (req, res) => {
    secretPage(res, await webhooks.rotate(manager(res), String(req.params.id), requestContext(req)), true);
  });

  router.post('/webhooks/:id/delete', async (req, res) => {
    await webhooks.remove(manager(res), String(req.params.id), requestContext(req));
    res.redirect(303, '/idp-admin/webhooks?deleted=1');
  });

  router.post('/webhooks/:id/test', async (req, res) => {
    const id = String(req.params.id);
    await webhooks.sendTest(manager(res), id, requestContext(req));
    back(res, id, 'test');
  });

  router.post('/webhooks/:id/deliveries/:deliveryId/redeliver', async (req, res) => {
    const id = String(req.params.id);
    await webhooks.redeliver(manager(res), id, String(req.params.deliveryId), requestContext(req));
    back(res, id, 'redelivery');
  });

  return router;
}
