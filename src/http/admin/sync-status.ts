import { Router } from 'express';
import type { SyncService } from '../../services/sync.js';

/**
 * Puts the account's latest password sync on the account page (`lastSync`), read through the
 * signed-in admin's partner, before the partner console renders it.
 */
export function accountSyncStatus(deps: { sync: SyncService }): Router {
  const router = Router();
  router.get('/customers/:customerId/accounts/:accountId', async (req, res, next) => {
    const user = req.session.user;
    if (user?.roles.includes('partner-admin')) res.locals.lastSync = await deps.sync.lastForAccount(user, req.params.accountId);
    next();
  });
  return router;
}
