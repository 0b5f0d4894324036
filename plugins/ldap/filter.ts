// Building search filters and checking DNs without letting a looked-up value change the filter's meaning.

/**
 * RFC 4515 §3: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`. Everything else,
 * including non-ASCII, stays as UTF-8 text, which the client encodes byte for byte.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Puts the escaped value in every `{value}` of a configured template. */
export function renderFilter(template: string, value: string): string {
  return template.split('{value}').join(escapeFilterValue(value));
}

/**
 * A comparable form of a DN: attribute types and values lower-cased, spaces around separators removed.
 * Good enough to tell whether one DN lies under another; not a full RFC 4514 canonicaliser.
 */
export function normalizeDn(dn: string): string {
  return dn.trim().toLowerCase().replace(/\s*([,=+])\s*/g, '$1');
}

/** True when `dn` is `base` or below it, so an id from elsewhere cannot steer a write outside the configured tree. */
export function isUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  if (!/^[a-z0-9.-]+=/.test(d)) return false;
  return d === b || (d.endsWith(`,${b}`) && !d.endsWith(`\\,${b}`));
}
