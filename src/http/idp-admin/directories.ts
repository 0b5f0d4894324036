import { Router, type Response } from 'express';
import type { AdminUser } from '../../domain/types.js';
import type { DirectoryAdminService } from '../../services/directories.js';
import { translatorOf } from './words.js';
import { requestContext } from '../middleware/context.js';

const admin = (res: Response) => res.locals.user as AdminUser;

/** IdP admin pages: Directories, Test connection, and each company's directory binding. Mounted behind the idp-admin guard. */
export function directoryRoutes(deps: { directories: DirectoryAdminService }): Router {
  const router = Router();

  router.get('/directories', async (_req, res) => {
    res.render('idp-admin/directories', { title: translatorOf(res).t('admin:idp.directories.title'), directories: await deps.directories.list(admin(res)) });
  });

  router.get('/directories/:id', async (req, res) => {
    const detail = await deps.directories.get(admin(res), req.params.id);
    res.render('idp-admin/directory', { title: translatorOf(res).t('admin:idp.directory.title', { id: detail.status.id }), ...detail, testResult: undefined });
  });

  router.post('/directories/:id/test', async (req, res) => {
    const testResult = await deps.directories.test(admin(res), req.params.id, requestContext(req));
    const detail = await deps.directories.get(admin(res), req.params.id);
    res.render('idp-admin/directory', { title: translatorOf(res).t('admin:idp.directory.title', { id: detail.status.id }), ...detail, testResult });
  });

  router.get('/customers/:partnerId/:customerId/directory', async (req, res) => {
    const b = await deps.directories.binding(admin(res), req.params.partnerId, req.params.customerId);
    res.render('idp-admin/binding', { title: translatorOf(res).t('admin:idp.binding.title', { company: b.customer.name }), ...b, error: undefined, saved: req.query.saved === '1' });
  });

  router.post('/customers/:partnerId/:customerId/directory', async (req, res) => {
    const { partnerId, customerId } = req.params;
    const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x)).slice(0, 20);
    const mappings = list(req.body?.secondaryMapping);
    const input = {
      instance: String(req.body?.instance ?? ''), mapping: String(req.body?.mapping ?? ''),
      // One row per further directory; the rows' fields arrive as parallel lists.
      secondaries: list(req.body?.secondaryInstance).map((instance, i) => ({ instance, mapping: mappings[i] ?? '' })),
      revokeSessions: req.body?.revokeSessions === 'on',
    };
    const error = await deps.directories.setBinding(admin(res), partnerId, customerId, input, requestContext(req));
    if (error) {
      const b = await deps.directories.binding(admin(res), partnerId, customerId);
      res.status(422).render('idp-admin/binding', { title: translatorOf(res).t('admin:idp.binding.title', { company: b.customer.name }), ...b, customer: { ...b.customer, directory: input }, error, saved: false });
      return;
    }
    res.redirect(303, `/idp-admin/customers/${encodeURIComponent(partnerId)}/${encodeURIComponent(customerId)}/directory?saved=1`);
  });

  return router;
}
