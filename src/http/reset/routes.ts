import { Router, type Request, type Response } from 'express';
import type { Message } from '../../i18n/index.js';
import type { ResetPageData, ResetService } from '../../services/reset.js';
import { requestContext } from '../middleware/context.js';
import { useLocale } from '../middleware/locale.js';
import { noStore } from '../middleware/security.js';
import { throttled } from '../forgot/routes.js';

const syncProblem = (code: 'uncertain' | 'unreachable' | 'failed'): Message[] => [{ key: `public:reset.sync.${code}` }];

/**
 * The public hosted pages a user reaches from the reset mail, but the GET of a link itself
 * (./page.ts). No sign-in: the link is the key.
 */
export function resetRoutes(deps: { reset: ResetService }): Router {
  const router = Router();
  router.use(noStore);

  const invalid = (res: Response) => res.status(410).render('reset/invalid');

  /** The account's language settings count once the link tells whose page this is. */
  const speak = (req: Request, res: Response, page: ResetPageData) => useLocale(req, res, page.localePreferences);

  /** The password-changed mail follows the page: a language picked here counts like the browser's own. */
  const context = (req: Request, res: Response) => {
    const ctx = requestContext(req);
    const choice = res.locals.languageChoice as string | undefined;
    return choice ? { ...ctx, acceptLanguage: choice } : ctx;
  };

  router.get('/code', (_req, res) => {
    res.render('reset/code', { email: '', error: undefined });
  });

  router.post('/code', async (req, res) => {
    const email = String(req.body?.email ?? '').trim();
    const result = await deps.reset.redeemCode(email, String(req.body?.code ?? ''), requestContext(req));
    if (result.status === 'throttled') return throttled(res, result.retryAfterSeconds);
    if (result.status === 'ok') return res.redirect(303, `/reset/${result.token}`);
    res.status(422).render('reset/code', { email, error: { key: 'public:reset.code.wrong' } satisfies Message });
  });

  router.post('/:token', async (req, res) => {
    const password = String(req.body?.password ?? '');
    const confirm = String(req.body?.confirm ?? '');
    const result = await deps.reset.redeem(req.params.token, password, confirm, context(req, res));
    const form = (status: number, problems: Message[], page: ResetPageData, problemsTitle?: string) => {
      speak(req, res, page);
      res.status(status).render('reset/form', { ...page, problems, problemsTitle, action: req.originalUrl });
    };
    switch (result.status) {
      case 'changed':
        if (result.page) speak(req, res, result.page);
        return res.render('reset/done', { reach: result.reach });
      case 'unconfirmed':
        if (result.page) speak(req, res, result.page);
        return res.status(409).render('reset/unconfirmed');
      case 'uncertain':
        return form(503, syncProblem('uncertain'), result.page, 'public:reset.form.uncertainTitle');
      case 'invalid':
        return invalid(res);
      case 'throttled':
        return throttled(res, result.retryAfterSeconds);
      case 'busy':
        if (result.page) speak(req, res, result.page);
        return res.status(409).render('reset/busy');
      case 'rejected':
        return form(422, result.problems, result.page);
      case 'unreachable':
        return form(503, syncProblem('unreachable'), result.page);
      case 'failed':
        return form(502, syncProblem('failed'), result.page);
    }
  });

  return router;
}
