import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n as I18nInstance, type Resource } from 'i18next';
import { LOCALES, formatDateTime, type Locale } from './locales.js';

export * from './locales.js';

/** `locales/<language>/<namespace>.json`, beside `views/` (also in the built `dist/`). */
export const localesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'locales');

export const NAMESPACES = ['public', 'mail', 'policy', 'admin'] as const;

/** A message by code and parameters, rendered in the reader's language only when it is shown. */
export interface Message {
  key: string;
  params?: Record<string, string | number>;
}

export interface Translator {
  locale: Locale;
  /** Plain text: parameters are inserted as they are (eta's `<%= %>` escapes the result). */
  t(key: string, params?: Record<string, unknown>): string;
  /** Trusted markup from the resource files with every parameter HTML-escaped: output with `<%~ %>`. */
  html(key: string, params?: Record<string, unknown>): string;
  /** Markup-free text of a key that carries markup (for plain-text mails). */
  text(key: string, params?: Record<string, unknown>): string;
  message(m: Message): string;
  /** Whether the resource files have this key (in this language or the English fallback). */
  has(key: string): boolean;
  dateTime(date: Date | string, timeZone?: string): string;
}

export function loadResources(dir = localesDir): Resource {
  const resources: Resource = {};
  for (const lng of LOCALES) {
    const files = readdirSync(path.join(dir, lng)).filter((f) => f.endsWith('.json'));
    resources[lng] = Object.fromEntries(files.map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(dir, lng, f), 'utf8'))]));
  }
  return resources;
}

/** One i18next instance for the process, loaded synchronously from the resource files at start. */
export class I18n {
  readonly instance: I18nInstance;
  private readonly cache = new Map<Locale, Translator>();

  constructor(resources: Resource = loadResources()) {
    this.instance = i18next.createInstance();
    void this.instance.init({
      resources, initAsync: false, lng: 'en', fallbackLng: 'en', supportedLngs: [...LOCALES],
      ns: [...NAMESPACES], defaultNS: 'public', returnNull: false,
      interpolation: { escapeValue: false },
    });
  }

  for(locale: Locale): Translator {
    const cached = this.cache.get(locale);
    if (cached) return cached;
    const fixed = this.instance.getFixedT(locale);
    // Most lookups on a page take no parameters; i18next resolves each anew (about a fifth of a
    // hosted page's CPU time, most of it garbage). The resources never change, so those are kept.
    const plain = new Map<string, string>();
    const t = (key: string, params?: Record<string, unknown>) => {
      // Only a fallback text as parameter (the templates' `tr(key, default)`) is as fixed as none.
      const fallback = params && Object.keys(params).length === 1 && typeof params.defaultValue === 'string' ? params.defaultValue : undefined;
      if (params !== undefined && fallback === undefined && Object.keys(params).length > 0) return this.withParams(locale, key, params, false) ?? fixed(key, params) as string;
      const slot = fallback === undefined ? key : `${key}\0${fallback}`;
      let text = plain.get(slot);
      if (text === undefined) {
        text = fixed(key, params ?? {}) as string;
        if (plain.size < 10_000) plain.set(slot, text);
      }
      return text;
    };
    const translator: Translator = {
      locale,
      t,
      html: (key, params) => this.withParams(locale, key, params ?? {}, true) ?? fixed(key, { ...params, interpolation: { escapeValue: true } }) as string,
      text: (key, params) => markupFree(t, key, params),
      message: (m) => t(m.key, m.params),
      has: (key) => this.instance.exists(key, { lng: locale }),
      dateTime: (date, timeZone) => formatDateTime(typeof date === 'string' ? new Date(date) : date, locale, timeZone),
    };
    this.cache.set(locale, translator);
    return translator;
  }

  private readonly numeric = new Map<string, string>();
  private readonly templates = new Map<string, string | null>();

  /**
   * The same text as i18next for the two kinds of parameterised look-ups a page makes, without its
   * per-call work; `undefined` sends the call to i18next. Numbers only (requirements: plurals
   * included) are kept by value, they repeat on every page; a plain `{{name}}` template with text
   * values (a login, a date) is filled in here. test/unit/i18n-fast-path.test.ts compares both ways.
   */
  private withParams(locale: Locale, key: string, params: Record<string, unknown>, escape: boolean): string | undefined {
    const names = Object.keys(params);
    if (names.length === 0 || names.some((n) => n !== 'count' && RESERVED.has(n))) return undefined;
    if (names.every((n) => typeof params[n] === 'number')) {
      const slot = `${locale}\0${escape ? 1 : 0}\0${key}\0${JSON.stringify(params)}`;
      let text = this.numeric.get(slot);
      if (text === undefined) {
        const fixed = this.instance.getFixedT(locale);
        text = (escape ? fixed(key, { ...params, interpolation: { escapeValue: true } }) : fixed(key, params)) as string;
        if (this.numeric.size < 10_000) this.numeric.set(slot, text);
      }
      return text;
    }
    if ('count' in params) return undefined;
    const template = this.template(locale, key);
    if (!template) return undefined;
    let missing = false;
    const text = template.replace(PLACEHOLDER, (_m, name: string) => {
      const value = params[name];
      if (typeof value === 'number') return String(value);
      if (typeof value !== 'string' || value.includes('{{') || value.includes('$t(')) {
        missing = true;
        return '';
      }
      return escape ? escapeHtml(value) : value;
    });
    return missing ? undefined : text;
  }

  /** The resource text of a key when it has nothing but `{{name}}` placeholders (no plurals, nesting, formats). */
  private template(locale: Locale, key: string): string | null {
    const slot = `${locale}\0${key}`;
    let template = this.templates.get(slot);
    if (template === undefined) {
      const [ns, path] = key.includes(':') ? [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)] : ['public', key];
      const plural = ['zero', 'one', 'two', 'few', 'many', 'other'].some((c) => this.instance.getResource(locale, ns, `${path}_${c}`) !== undefined || this.instance.getResource('en', ns, `${path}_${c}`) !== undefined);
      const found: unknown = this.instance.getResource(locale, ns, path) ?? this.instance.getResource('en', ns, path);
      template = !plural && typeof found === 'string' && !found.includes('$t(') && !found.includes('{{-')
        && [...found.matchAll(/\{\{([^}]*)\}\}/g)].every((m) => /^\w+$/.test(m[1] ?? '')) ? found : null;
      if (this.templates.size < 10_000) this.templates.set(slot, template);
    }
    return template;
  }
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;
/** Options i18next reads from the parameters: those calls go to i18next (`count` only when it is not all numbers). */
const RESERVED = new Set(['count', 'context', 'defaultValue', 'lng', 'lngs', 'ns', 'ordinal', 'replace', 'interpolation', 'returnObjects', 'joinArrays', 'postProcess', 'keySeparator', 'nsSeparator', 'fallbackLng']);
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '/': '&#x2F;' };
/** i18next's own escaping, character for character. */
const escapeHtml = (s: string) => s.replace(/[&<>"'/]/g, (c) => HTML_ENTITIES[c] ?? c);

/**
 * Drops the resource's own tags but never a parameter's text (a company called "A <b> Co" stays so):
 * parameters go in as placeholders, the tags come out, then the values go back in.
 */
function markupFree(t: (key: string, params?: Record<string, unknown>) => string, key: string, params: Record<string, unknown> = {}): string {
  const values = Object.entries(params).filter(([k, v]) => k !== 'count' && typeof v === 'string');
  const marks = Object.fromEntries(values.map(([k], i) => [k, `\u0000${i}\u0000`]));
  const stripped = t(key, { ...params, ...marks }).replace(/<\/?[a-z]+>/g, '');
  return stripped.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => String(values[Number(i)]?.[1] ?? ''));
}

let shared: I18n | undefined;

/** The resource files never change while the process runs, so pages and mails share one instance. */
export function sharedI18n(): I18n {
  shared ??= new I18n();
  return shared;
}
