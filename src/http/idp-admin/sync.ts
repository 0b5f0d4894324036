import { Router, type Request, type Response } from 'express';
import type { AdminUser, SyncState } from '../../domain/types.js';
import type { Message } from '../../i18n/index.js';
import { SYNC_STATES, type SyncAdminService, type SyncFilter } from '../../services/sync-admin.js';
import { translatorOf } from './words.js';
import { requestContext } from '../middleware/context.js';

const admin = (res: Response) => res.locals.user as AdminUser;
const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : '');

function filterOf(source: Record<string, unknown>): SyncFilter {
  const status = text(source.status);
  return {
    ...(text(source.partner) ? { partnerId: text(source.partner) } : {}),
    ...(text(source.customer) ? { customerId: text(source.customer) } : {}),
    ...(SYNC_STATES.includes(status as SyncState) ? { state: status as SyncState } : {}),
  };
}

/** The page's own address with the same filters, so an action lands back where it was taken. */
function back(filter: SyncFilter): string {
  const q = new URLSearchParams();
  if (filter.partnerId) q.set('partner', filter.partnerId);
  if (filter.customerId) q.set('customer', filter.customerId);
  if (filter.state) q.set('status', filter.state);
  const s = q.toString();
  return `/idp-admin/sync${s ? `?${s}` : ''}`;
}

/** IdP admin: Sync — every password sync, per-target status, Retry now and Give up. Mounted behind the idp-admin guard. */
export function syncRoutes(deps: { sync: SyncAdminService }): Router {
  const router = Router();

  router.get('/sync', async (req, res) => {
    const filter = filterOf(req.query as Record<string, unknown>);
    const { rows, partners, customers } = await deps.sync.list(admin(res), filter);
    const flash = req.session.flash;
    delete req.session.flash;
    res.render('idp-admin/sync', { title: translatorOf(res).t('admin:idp.sync.title'), rows, partners, customers, filter, states: SYNC_STATES, flash });
  });

  // The notice is put in words here, in the language of the page the action was taken on.
  const action = (run: (req: Request, res: Response) => Promise<Message>) => async (req: Request, res: Response) => {
    req.session.flash = translatorOf(res).message(await run(req, res));
    res.redirect(303, back(filterOf(req.body ?? {})));
  };

  router.post('/sync/:partnerId/:syncId/retry', action((req, res) =>
    deps.sync.retryNow(admin(res), String(req.params.partnerId), String(req.params.syncId), text(req.body?.instance), requestContext(req))));

  router.post('/sync/:partnerId/:syncId/give-up', action((req, res) =>
    deps.sync.giveUp(admin(res), String(req.params.partnerId), String(req.params.syncId), text(req.body?.instance), requestContext(req))));

  return router;
}
