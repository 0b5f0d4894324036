import { Router } from 'express';
import type { Translator } from '../../i18n/index.js';
import type { SyncService } from '../../services/sync.js';
import { translateSync } from '../../services/sync-words.js';

/**
 * Puts the account's latest password sync on the account page (`lastSync`), read through the
 * signed-in admin's partner, before the partner console renders it.
 */
export function accountSyncStatus(deps: { sync: SyncService }): Router {
  const router = Router();
  router.get('/customers/:customerId/accounts/:accountId', async (req, res, next) => {
    const user = req.session.user;
    if (user?.roles.includes('partner-admin')) {
      const last = await deps.sync.lastForAccount(user, req.params.accountId);
      // In the page's language: the locale middleware ran before this router.
      const tr = res.locals.translator as Translator | undefined;
      res.locals.lastSync = last && tr ? translateSync(last, tr) : last;
    }
    next();
  });
  return router;
}
