import { Router } from 'express';
import type { ResetService } from '../../services/reset.js';
import { requestContext } from '../middleware/context.js';
import { noStore } from '../middleware/security.js';
import { throttled } from '../forgot/routes.js';

/** The public hosted pages a user reaches from the reset mail. No sign-in: the link is the key. */
export function resetRoutes(deps: { reset: ResetService }): Router {
  const router = Router();
  router.use(noStore);

  const invalid = (res: import('express').Response) =>
    res.status(410).render('reset/invalid', { title: 'This link no longer works' });

  router.get('/code', (_req, res) => {
    res.render('reset/code', { title: 'Enter the code from your email', email: '', error: undefined });
  });

  router.post('/code', async (req, res) => {
    const email = String(req.body?.email ?? '').trim();
    const result = await deps.reset.redeemCode(email, String(req.body?.code ?? ''), requestContext(req));
    if (result.status === 'throttled') return throttled(res, result.retryAfterSeconds);
    if (result.status === 'ok') return res.redirect(303, `/reset/${result.token}`);
    res.status(422).render('reset/code', {
      title: 'Enter the code from your email', email,
      error: 'That code is not right for this email address, or it has expired. Check the email, or use the link in it.',
    });
  });

  router.get('/:token', async (req, res) => {
    const page = await deps.reset.open(req.params.token, requestContext(req));
    if (!page) return invalid(res);
    res.render('reset/form', { title: 'Set a new password', ...page, problems: [], action: req.originalUrl });
  });

  router.post('/:token', async (req, res) => {
    const password = String(req.body?.password ?? '');
    const confirm = String(req.body?.confirm ?? '');
    const result = await deps.reset.redeem(req.params.token, password, confirm, requestContext(req));
    const form = (status: number, problems: string[], page: object, problemsTitle?: string) =>
      res.status(status).render('reset/form', { title: 'Set a new password', ...page, problems, problemsTitle, action: req.originalUrl });
    switch (result.status) {
      case 'changed':
        return res.render('reset/done', { title: 'Password changed', reach: result.reach });
      case 'unconfirmed':
        return res.status(409).render('reset/unconfirmed', { title: 'Your password may already have been changed' });
      case 'uncertain':
        return form(503, ['Your organisation\'s directory did not answer in time, so we cannot tell whether it took your new password. Wait a minute, then enter the same password again to finish, or try signing in with it.'],
          result.page, 'We could not confirm whether your password was changed');
      case 'invalid':
        return invalid(res);
      case 'throttled':
        return throttled(res, result.retryAfterSeconds);
      case 'busy':
        return res.status(409).render('reset/busy', { title: 'Please wait' });
      case 'rejected':
        return form(422, result.problems, result.page);
      case 'unreachable':
        return form(503, ['We could not reach your organisation\'s directory. Your password has not been changed. Please try again in a few minutes.'], result.page);
      case 'failed':
        return form(502, ['Your password has not been changed: the directory refused the request. Your administrator has been alerted. Please try again later.'], result.page);
    }
  });

  return router;
}
