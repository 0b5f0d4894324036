// Which languages exist, and how a request or an account's settings pick one of them.

export const LOCALES = ['en', 'ja', 'de', 'fr', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

/** The admin console is translated into fewer languages than the public pages. */
export const ADMIN_LOCALES: readonly Locale[] = ['en', 'ja'];

/** Each language named in itself, as a switcher shows it. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English', ja: '日本語', de: 'Deutsch', fr: 'Français', es: 'Español',
};

/** `ja-JP`, `JA`, `de_AT` → the supported base language, or undefined. */
export function supportedLocale(value: unknown, supported: readonly Locale[] = LOCALES): Locale | undefined {
  if (typeof value !== 'string') return undefined;
  const base = value.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return (supported as readonly string[]).includes(base) ? (base as Locale) : undefined;
}

/** Accept-Language ranges by preference (q-values honoured, q=0 dropped, `*` ignored). */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header.slice(0, 500).split(',')
    .map((part, i) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { range: range.trim(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.range && r.range !== '*' && r.q > 0 && !Number.isNaN(r.q))
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((r) => r.range);
}

/**
 * The first stored preference that names a supported language (account → customer → partner, as the
 * caller lists them), then the browser's Accept-Language, then English.
 */
export function pickLocale(
  preferences: ReadonlyArray<string | undefined>,
  acceptLanguage?: string,
  supported: readonly Locale[] = LOCALES,
): Locale {
  for (const p of preferences) {
    const l = supportedLocale(p, supported);
    if (l) return l;
  }
  for (const range of acceptedLanguages(acceptLanguage)) {
    const l = supportedLocale(range, supported);
    if (l) return l;
  }
  return 'en';
}

/** A valid IANA time zone name, else undefined (an unknown zone must not break a page or a mail). */
export function validTimeZone(tz: unknown): string | undefined {
  if (typeof tz !== 'string' || !tz) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** "27 November 2026 at 14:05 UTC" in the reader's language; UTC (and said so) when the zone is unknown. */
export function formatDateTime(date: Date, locale: Locale, timeZone?: string): string {
  const id = `${locale} ${timeZone ?? 'UTC'}`;
  let format = formats.get(id);
  if (!format) {
    const zone = validTimeZone(timeZone) ?? 'UTC';
    format = new Intl.DateTimeFormat(locale, {
      year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: zone,
    });
    // Zones are few and fixed (IANA names, validated above), so the cache stays small.
    if (formats.size < 500) formats.set(id, format);
  }
  return format.format(date);
}
