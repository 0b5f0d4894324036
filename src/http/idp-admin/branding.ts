import { Router, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import type { AdminUser } from '../../domain/types.js';
import { PREVIEW_LOCALES, PREVIEW_TEMPLATES, localeName, type MailPreviews } from '../../mail/previews.js';
import type { BrandingInput, BrandingService } from '../../services/branding.js';
import type { Message } from '../../i18n/index.js';
import { LOGO_MAX_BYTES, LOGO_TOO_LARGE_MESSAGE } from '../../services/logo.js';
import { requestContext } from '../middleware/context.js';
import { translatorOf } from './words.js';

const admin = (res: Response) => res.locals.user as AdminUser;
const enc = encodeURIComponent;

/** Where a partner's (or one company's) branding page lives. */
export const brandingPath = (partnerId: string, customerId?: string) =>
  `/idp-admin/branding/${enc(partnerId)}${customerId ? `/customers/${enc(customerId)}` : ''}`;

const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: LOGO_MAX_BYTES, files: 1, fields: 5, fieldSize: 2048, parts: 6 } }).single('logo');

/**
 * Parses the logo upload form (multipart) before the CSRF check, which reads `_csrf` from the
 * body. Only for a session that holds an IdP admin: nobody else gets a file read into memory.
 * Too large a file becomes a message for the form instead of an error page.
 */
export function logoUpload(sessions: RequestHandler): RequestHandler[] {
  const parse: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST' || !req.is('multipart/form-data') || !req.session?.user?.roles.includes('idp-admin')) {
      next();
      return;
    }
    upload(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') res.locals.uploadError = LOGO_TOO_LARGE_MESSAGE;
      else if (err) res.locals.uploadError = { key: 'admin:idp.branding.errors.unreadable' } satisfies Message;
      next();
    });
  };
  return [sessions, parse];
}

function input(req: Request): BrandingInput {
  const field = (name: string) => String(req.body?.[name] ?? '').slice(0, 600);
  return {
    displayName: field('displayName'), primaryColor: field('primaryColor'), supportEmail: field('supportEmail'),
    supportUrl: field('supportUrl'), supportPhone: field('supportPhone'), senderName: field('senderName'), replyTo: field('replyTo'),
  };
}

/** IdP admin pages: each partner's branding, companies' overrides, logos, and mail previews. */
export function brandingRoutes(deps: { branding: BrandingService; previews?: MailPreviews }): Router {
  const router = Router();

  router.get('/branding', async (_req, res) => {
    res.render('idp-admin/branding', { title: translatorOf(res).t('admin:idp.branding.title'), partners: await deps.branding.overview(admin(res)) });
  });

  // A company picked from the list on the overview (a GET form: it only navigates).
  router.get('/branding/:partnerId/customers', (req, res) => {
    const customerId = String(req.query.customer ?? '');
    res.redirect(303, customerId ? brandingPath(req.params.partnerId, customerId) : '/idp-admin/branding');
  });

  const page = async (res: Response, partnerId: string, customerId: string | undefined, extra: { error?: string | Message; values?: BrandingInput; saved?: Message; status?: number }) => {
    const e = await deps.branding.editor(admin(res), partnerId, customerId);
    const title = translatorOf(res).t('admin:idp.branding.pageTitle', { name: e.customer ? e.customer.name : e.partner.name });
    res.status(extra.status ?? 200).render('idp-admin/branding-edit', {
      title, ...e, values: extra.values ?? e.record ?? {}, error: extra.error, saved: extra.saved, action: brandingPath(partnerId, customerId),
      logoMaxKb: LOGO_MAX_BYTES / 1024,
    });
  };
  const savedNote = (req: Request): Message | undefined => (['saved', 'logo', 'logo-removed'].includes(String(req.query.saved)) ? { key: `admin:idp.branding.savedNote.${String(req.query.saved)}` } : undefined);

  for (const path of ['/branding/:partnerId', '/branding/:partnerId/customers/:customerId']) {
    router.get(path, async (req, res) => {
      await page(res, req.params.partnerId as string, req.params.customerId as string | undefined, { ...(savedNote(req) ? { saved: savedNote(req) } : {}) });
    });

    router.post(path, async (req, res) => {
      const { partnerId, customerId } = req.params as { partnerId: string; customerId?: string };
      const values = input(req);
      const error = await deps.branding.save(admin(res), partnerId, customerId, values, requestContext(req));
      if (error) return page(res, partnerId, customerId, { error, values, status: 422 });
      res.redirect(303, `${brandingPath(partnerId, customerId)}?saved=saved`);
    });

    router.post(`${path}/logo`, async (req, res) => {
      const { partnerId, customerId } = req.params as { partnerId: string; customerId?: string };
      const file = req.file;
      const address = String(req.body?.logoUrl ?? '').trim();
      const error = (res.locals.uploadError as Message | undefined)
        ?? (file?.size ? await deps.branding.setLogo(admin(res), partnerId, customerId, { bytes: file.buffer }, requestContext(req))
          : address ? await deps.branding.setLogo(admin(res), partnerId, customerId, { address }, requestContext(req))
            : { key: 'admin:idp.branding.errors.noLogo' });
      if (error) return page(res, partnerId, customerId, { error, status: 422 });
      res.redirect(303, `${brandingPath(partnerId, customerId)}?saved=logo`);
    });

    router.post(`${path}/logo/remove`, async (req, res) => {
      const { partnerId, customerId } = req.params as { partnerId: string; customerId?: string };
      await deps.branding.removeLogo(admin(res), partnerId, customerId, requestContext(req));
      res.redirect(303, `${brandingPath(partnerId, customerId)}?saved=logo-removed`);
    });
  }

  router.post('/branding/:partnerId/customers/:customerId/remove', async (req, res) => {
    await deps.branding.removeOverride(admin(res), req.params.partnerId, req.params.customerId, requestContext(req));
    res.redirect(303, '/idp-admin/branding');
  });

  if (deps.previews) mailPreviewRoutes(router, deps.branding, deps.previews);
  return router;
}

function mailPreviewRoutes(router: Router, branding: BrandingService, previews: MailPreviews): void {
  router.get('/mail-previews', async (req, res) => {
    const partners = (await branding.overview(admin(res))).map((p) => p.partner);
    const partner = partners.find((p) => p.id === req.query.partner) ?? partners[0];
    const locale = PREVIEW_LOCALES.includes(String(req.query.locale)) ? String(req.query.locale) : 'en';
    const mails = partner
      ? await Promise.all(PREVIEW_TEMPLATES.map(async (t) => ({
        ...t, label: translatorOf(res).t(t.labelKey), message: await previews.render(partner.id, partner.name, t.id, locale),
        src: `/idp-admin/mail-previews/${enc(partner.id)}/${t.id}/${locale}`,
      })))
      : [];
    res.render('idp-admin/mail-previews', { title: translatorOf(res).t('admin:idp.previews.title'), partners, partner, locales: PREVIEW_LOCALES.map((code) => ({ code, name: localeName(code) })), locale, mails });
  });

  // The mail's HTML on its own, for the preview's frame: its own CSP makes it a sandbox (no
  // script, no form, no navigation), and only our own pages may frame it.
  router.get('/mail-previews/:partnerId/:template/:locale', async (req, res) => {
    const partners = (await branding.overview(admin(res))).map((p) => p.partner);
    const partner = partners.find((p) => p.id === req.params.partnerId);
    const { template, locale } = req.params;
    if (!partner || !previews.isTemplate(template) || !PREVIEW_LOCALES.includes(locale)) {
      res.status(404).render('errors/error', { title: 'Not found', status: 404, message: 'There is no such mail preview.' });
      return;
    }
    const message = await previews.render(partner.id, partner.name, template, locale);
    res.removeHeader('X-Frame-Options');
    res.set({
      'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
      'X-Frame-Options': 'SAMEORIGIN',
      'Cache-Control': 'no-store',
    });
    res.type('html').send(message.html);
  });
}
