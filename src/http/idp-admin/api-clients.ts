import { Router, type Request, type Response } from 'express';
import { AppError } from '../../domain/errors.js';
import type { AdminUser } from '../../domain/types.js';
import type { Message } from '../../i18n/index.js';
import { type ApiClientService, type IssuedCredentials } from '../../services/api-clients.js';
import { InputError } from '../../services/input-error.js';
import { translatorOf } from './words.js';
import { requestContext } from '../middleware/context.js';
import { noStore } from '../middleware/security.js';

const manager = (res: Response) => ({ admin: res.locals.user as AdminUser });

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** IdP admin pages: API clients of the REST API — list, create (secret shown once), rotate, revoke. */
export function apiClientRoutes(deps: { clients: ApiClientService }): Router {
  const router = Router();

  async function listPage(req: Request, res: Response, status = 200, form?: { error: string | Message; name: string; scopes: string[]; partnerId: string }) {
    const by = manager(res);
    const [clients, choices] = await Promise.all([deps.clients.list(by), deps.clients.choices(by)]);
    const partnerNames = Object.fromEntries(choices.partners.map((p) => [p.id, p.name]));
    res.status(status).render('idp-admin/api-clients', {
      title: translatorOf(res).t('admin:idp.apiClients.title'), clients, ...choices, partnerNames,
      form: form ?? { error: undefined, name: '', scopes: [], partnerId: '' },
      revoked: typeof req.query.revoked === 'string' ? req.query.revoked : undefined,
    });
  }

  function secretPage(res: Response, issued: IssuedCredentials, rotated: boolean) {
    // The page holds a live secret: never cached, never sent on as a referrer.
    res.status(rotated ? 200 : 201).render('idp-admin/api-clients-secret', { title: translatorOf(res).t('admin:idp.apiClients.secretPageTitle'), ...issued, rotated });
  }

  router.get('/api-clients', (req, res) => listPage(req, res));

  router.post('/api-clients', noStore, async (req, res) => {
    const form = { name: String(req.body?.name ?? ''), scopes: list(req.body?.scopes), partnerId: String(req.body?.partnerId ?? '') };
    try {
      const issued = await deps.clients.create(manager(res), { ...form, ...(form.partnerId ? { partnerId: form.partnerId } : {}) }, requestContext(req));
      secretPage(res, issued, false);
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'VALIDATION') throw e;
      // By key when the service gave one, so the message shows in the page's language.
      await listPage(req, res, 422, { ...form, error: e instanceof InputError ? e.text : e.message });
    }
  });

  router.post('/api-clients/:id/rotate', noStore, async (req, res) => {
    secretPage(res, await deps.clients.rotate(manager(res), String(req.params.id), requestContext(req)), true);
  });

  router.post('/api-clients/:id/revoke', async (req, res) => {
    const client = await deps.clients.revoke(manager(res), String(req.params.id), requestContext(req));
    res.redirect(303, `/idp-admin/api-clients?revoked=${encodeURIComponent(client.id)}`);
  });

  return router;
}
