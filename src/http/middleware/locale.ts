import type { Request, RequestHandler, Response } from 'express';
import {
  ADMIN_LOCALES, LOCALES, LOCALE_NAMES, pickLocale, sharedI18n, supportedLocale, type Locale,
} from '../../i18n/index.js';

/** The language a person picked with the switcher; it beats every stored preference on pages. */
export const LANGUAGE_COOKIE = 'rb.lang';

/** Public pages speak five languages; the admin console and its sign-in pages two. */
const isPublicPath = (path: string) => /^\/(reset|forgot)(\/|$)/.test(path);

/**
 * Picks the page language: `?lang=` (from the switcher: remembered in a cookie), else that cookie,
 * else the browser's Accept-Language, else English. Pages that know more (the reset page knows the
 * account) call `useLocale` again with the stored preferences.
 */
export function localeMiddleware(opts: { secure: boolean }): RequestHandler {
  const choose = languageChoice(opts);
  return (req, res, next) => {
    choose(req, res);
    useLocale(req, res, [], isPublicPath(req.baseUrl + req.path) ? LOCALES : ADMIN_LOCALES);
    next();
  };
}

/** The language the person picked, if any (`res.locals.languageChoice`); a `?lang=` is remembered in a cookie. */
export function languageChoice(opts: { secure: boolean }): (req: Request, res: Response) => void {
  return (req, res) => {
    const asked = supportedLocale(typeof req.query.lang === 'string' ? req.query.lang : undefined);
    if (asked) {
      res.cookie(LANGUAGE_COOKIE, asked, { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/', maxAge: 365 * 86_400_000 });
    }
    res.locals.languageChoice = asked ?? supportedLocale(req.cookies?.[LANGUAGE_COOKIE]);
    res.vary('Accept-Language');
  };
}

/** Sets the language of what this response renders: `lang`, `t`, `th`, `tm`, `dateTime`, `languages`. */
export function useLocale(req: Request, res: Response, preferences: readonly string[], supported: readonly Locale[] = LOCALES): Locale {
  const choice = res.locals.languageChoice as Locale | undefined;
  const locale = pickLocale([choice, ...preferences], req.get('accept-language'), supported);
  const tr = sharedI18n().for(locale);
  Object.assign(res.locals, {
    lang: locale,
    t: tr.t,
    th: tr.html,
    tm: tr.message,
    dateTime: tr.dateTime,
    translator: tr,
    languages: switcher(supported, locale),
  });
  return locale;
}

/** The switcher's entries per language list and current language: built once, read by every page. */
const switchers = new Map<readonly Locale[], Map<Locale, ReadonlyArray<{ code: Locale; name: string; current: boolean }>>>();
function switcher(supported: readonly Locale[], locale: Locale) {
  let byLocale = switchers.get(supported);
  if (!byLocale) switchers.set(supported, byLocale = new Map());
  let entries = byLocale.get(locale);
  if (!entries) {
    entries = Object.freeze(supported.map((code) => Object.freeze({ code, name: LOCALE_NAMES[code], current: code === locale })));
    byLocale.set(locale, entries);
  }
  return entries;
}

/** The error page may be reached before the middleware ran (a malformed body): give it a language all the same. */
export function ensureLocale(req: Request, res: Response): void {
  if (typeof res.locals.t !== 'function') {
    res.locals.languageChoice = supportedLocale(req.cookies?.[LANGUAGE_COOKIE]);
    useLocale(req, res, [], isPublicPath(req.path) ? LOCALES : ADMIN_LOCALES);
  }
}
