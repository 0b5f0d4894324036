import { Router, type RequestHandler } from 'express';
import type { AdminUser } from '../../domain/types.js';
import type { AdminService } from '../../services/admin.js';
import type { ResetService } from '../../services/reset.js';
import { requestContext } from '../middleware/context.js';

const requireAdmin: RequestHandler = (req, res, next) => {
  const user = req.session.user;
  if (!user || !user.roles.includes('partner-admin')) {
    if (user) {
      const t = res.locals.t as (key: string) => string;
      res.status(403).render('errors/error', { title: t('admin:noAccess.title'), status: 403, message: t('admin:noAccess.message') });
      return;
    }
    res.redirect(`/login?returnTo=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  res.locals.user = user;
  next();
};

const admin = (res: { locals: Record<string, unknown> }) => res.locals.user as AdminUser;

/** The partner console, with the licensing platform's labels: Users & Licenses → Customers → … */
export function adminRoutes(deps: { admin: AdminService; reset: ResetService }): Router {
  const router = Router();
  router.use(requireAdmin);
  router.use(async (_req, res, next) => {
    res.locals.partnerName = await deps.admin.partnerName(admin(res));
    res.locals.tab = 'users';
    next();
  });

  router.get('/', (_req, res) => res.redirect('/admin/customers'));

  router.get('/customers', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
    const page = Number.parseInt(String(req.query.page ?? '1'), 10) || 1;
    const result = await deps.admin.listCustomers(admin(res), q, page);
    res.render('admin/customers', { title: 'Customers', q, result, pages: Math.max(1, Math.ceil(result.total / result.pageSize)) });
  });

  router.get('/customers/:customerId', async (req, res) => {
    const customer = await deps.admin.getCustomer(admin(res), req.params.customerId);
    const { accounts } = await deps.admin.listAccounts(admin(res), customer.id);
    res.render('admin/company', { title: customer.name, customer, accountCount: accounts.length, companyTab: 'profile' });
  });

  router.get('/customers/:customerId/accounts', async (req, res) => {
    const { customer, accounts } = await deps.admin.listAccounts(admin(res), req.params.customerId);
    res.render('admin/accounts', { title: `${customer.name} · Accounts`, customer, accounts, companyTab: 'accounts' });
  });

  router.get('/customers/:customerId/accounts/:accountId', async (req, res) => {
    const { customer, account } = await deps.admin.getAccount(admin(res), req.params.customerId, req.params.accountId);
    const flash = req.session.flash;
    delete req.session.flash;
    const mail = await deps.admin.lastResetMail(admin(res), account.id);
    res.render('admin/account', { title: account.name, customer, account, flash, mail });
  });

  router.get('/customers/:customerId/accounts/:accountId/reset', async (req, res) => {
    const notice = await deps.reset.notice(admin(res), req.params.customerId, req.params.accountId);
    res.render('admin/reset-notice', { title: 'Reset password', ...notice });
  });

  router.post('/customers/:customerId/accounts/:accountId/reset', async (req, res) => {
    const { customerId, accountId } = req.params;
    const { maskedEmail } = await deps.reset.issue(admin(res), customerId, accountId, requestContext(req));
    req.session.flash = (res.locals.t as (key: string, params: object) => string)('admin:account.sent', { email: maskedEmail });
    res.redirect(303, `/admin/customers/${encodeURIComponent(customerId)}/accounts/${encodeURIComponent(accountId)}`);
  });

  return router;
}
