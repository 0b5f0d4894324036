import { Router, type RequestHandler } from 'express';
import { translatorOf } from './words.js';

/**
 * Lets through only a signed-in admin whose connection granted `role`; anyone else signed in gets
 * a plain 403, a visitor without a session goes to the sign-in page.
 */
export function requireRole(role: 'partner-admin' | 'idp-admin'): RequestHandler {
  return (req, res, next) => {
    const user = req.session.user;
    if (!user) {
      res.redirect(`/login?returnTo=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    if (!user.roles.includes(role)) {
      const t = translatorOf(res).t;
      res.status(403).render('errors/error', { title: t('admin:noAccess.title'), status: 403, user, message: t('admin:idp.noAccess') });
      return;
    }
    res.locals.user = user;
    next();
  };
}

/**
 * The IdP admin's area: a landing page, and `pages` (directories, customer bindings, sync health)
 * mounted behind the same guard.
 */
export function idpAdminRoutes(pages: Router[] = []): Router {
  const router = Router();
  router.use(requireRole('idp-admin'));
  router.use((_req, res, next) => {
    res.locals.tab = 'idp-admin';
    next();
  });
  router.get('/', (_req, res) => {
    res.render('idp-admin/index', { title: translatorOf(res).t('admin:idp.title') });
  });
  for (const page of pages) router.use(page);
  return router;
}
