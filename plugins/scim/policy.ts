// Turns a SCIM server's policy `detail` (free text: RFC 7644 fixes no wording) into sentences an end user
// can act on. Known phrasings get our own words; plain text passes through scrubbed; anything technical
// becomes a generic but honest sentence, and the raw detail stays in safeDiagnostic for the IdP admin.
import type { Violation, ViolationReason } from '../../src/sync/contract.js';
import { scrub } from './scrub.js';

interface Rule {
  reason: ViolationReason;
  test: RegExp;
  message(detail: string): string;
}

const RULES: Rule[] = [
  {
    reason: 'IN_HISTORY',
    test: /histor|previously used|recently used|used (recently|before|previously)|already (been )?used|re-?use/i,
    message: () => 'This password was used recently. Choose one you have not used before.',
  },
  {
    reason: 'TOO_YOUNG',
    test: /too (soon|young)|minimum (password )?age|min(imum)?[ _-]?age/i,
    message: () => 'The password was changed very recently and cannot be changed again yet. Try again later.',
  },
  {
    reason: 'TOO_SHORT',
    test: /too short|at least \d+ (characters|chars|code points)|minimum (password )?length|min(imum)?[ _-]?length|shorter than/i,
    message: (d) => {
      const n = /(?:at least|minimum(?: password)? length(?: of| is)?|min(?:imum)?[ _-]?length\D{0,12})\s*(\d+)/i.exec(d)?.[1];
      return n ? `This password is too short. Use at least ${n} characters.` : 'This password is too short. Use a longer one.';
    },
  },
  {
    reason: 'TOO_LONG',
    test: /too long|at most \d+ (characters|chars)|maximum (password )?length|max(imum)?[ _-]?length|longer than/i,
    message: (d) => {
      const n = /(?:at most|maximum(?: password)? length(?: of| is)?|max(?:imum)?[ _-]?length\D{0,12})\s*(\d+)/i.exec(d)?.[1];
      return n ? `This password is too long. Use at most ${n} characters.` : 'This password is too long. Use a shorter one.';
    },
  },
  { reason: 'MISSING_UPPER', test: /upper ?case|capital/i, message: () => 'Include at least one capital letter.' },
  { reason: 'MISSING_LOWER', test: /lower ?case/i, message: () => 'Include at least one lowercase letter.' },
  { reason: 'MISSING_DIGIT', test: /\bdigits?\b|\bnumeric\b|\bnumbers?\b/i, message: () => 'Include at least one digit.' },
  {
    reason: 'MISSING_SPECIAL',
    test: /special|symbol|non-?alpha|punctuation/i,
    message: () => 'Include at least one symbol, such as ! or #.',
  },
  {
    reason: 'CONTAINS_USER_INFO',
    test: /user ?name|login name|personal (info|data)|e-?mail|first name|last name|display ?name|given name|family name/i,
    message: () => 'Do not use your name, user name or email address in the password.',
  },
  {
    reason: 'DICTIONARY_OR_BANNED',
    test: /common|dictionary|banned|breach|compromised|black ?list|block ?list|deny ?list|too weak|easy to guess|guessable/i,
    message: () => 'This password is too common or too easy to guess. Choose a less predictable one.',
  },
];

// Parser and schema messages (scimmy: "Attribute 'password' expected value type 'string' …") are for
// developers; pattern-matching their words would give users wrong advice.
const TECHNICAL = /urn:|PatchOp|value type|'op'|\bop\b|operation \d|\bpath\b|attribute '|\bat \S+\(|\bnull\b|\bundefined\b/i;

export const GENERIC_MESSAGE = 'The directory refused this password without a reason we can show. Try a different, longer password.';

export function violationsFrom(detail: string | undefined, secrets: ReadonlyArray<string | undefined>): Violation[] {
  const text = (detail ?? '').trim();
  if (text === '' || TECHNICAL.test(text)) return [{ reason: 'GENERIC', message: scrub(GENERIC_MESSAGE, secrets) }];

  const found = RULES.filter((r) => r.test.test(text)).map((r) => ({ reason: r.reason, message: r.message(text) }));
  // Even our own sentences are scrubbed: a very short password can be a substring of any text.
  if (found.length > 0) return found.map((v) => ({ ...v, message: scrub(v.message, secrets) }));

  const shown = scrub(text, secrets);
  // A sentence in plain words that did not carry the password is the server's own explanation: show it.
  const plain = shown === text.replace(/\s+/g, ' ') && shown.length <= 200 && /[a-z]{3}/i.test(shown) && !/[{}<>]/.test(shown);
  return [{ reason: 'GENERIC', message: plain ? shown : scrub(GENERIC_MESSAGE, secrets) }];
}

/** For a 400 without scimType: does the detail read like a password policy refusal? */
export function looksLikePolicy(detail: string | undefined): boolean {
  if (!detail || TECHNICAL.test(detail) || !/password/i.test(detail)) return false;
  return RULES.some((r) => r.test.test(detail)) || /polic|complex|requirement|strength/i.test(detail);
}
