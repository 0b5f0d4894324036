// Server text is untrusted: a SCIM server may repeat the password it refused or the token it rejected, so
// nothing it says reaches an error, a log line or a page before those are cut out of it.
const MAX_TEXT = 300;

/** Removes each secret (also as it appears JSON-escaped or URL-encoded), folds whitespace and caps the length. */
export function scrub(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  const forms = secrets.flatMap((s) => (s ? [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)] : []));
  // Longest first, so a secret that contains another is removed whole.
  for (const form of [...new Set(forms)].sort((a, b) => b.length - a.length)) {
    if (form !== '') out = out.split(form).join('••••');
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_TEXT ? `${out.slice(0, MAX_TEXT)}…` : out;
}
