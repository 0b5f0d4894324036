// Password rules after NIST SP 800-63B: length first, a blocklist, no composition rules by default,
// nothing truncated, Unicode counted by code points.

export interface PolicySettings {
  minLength: number;
  maxLength: number;
  /** Character classes a directory insists on; none by default (NIST advises against them). */
  requires?: CharacterClass[];
}

export type CharacterClass = 'upper' | 'lower' | 'digit' | 'special';

/** What a directory declares it enforces (the adapter contract's `PolicyHints`). */
export interface PolicyHint {
  minLength?: number;
  maxLength?: number;
  requires?: CharacterClass[];
}

const CLASSES: Record<CharacterClass, { test: RegExp; need: string; missing: string }> = {
  upper: { test: /\p{Lu}/u, need: 'At least one capital letter.', missing: 'Include at least one capital letter.' },
  lower: { test: /\p{Ll}/u, need: 'At least one small letter.', missing: 'Include at least one small letter.' },
  digit: { test: /\p{Nd}/u, need: 'At least one digit.', missing: 'Include at least one digit (0–9).' },
  special: { test: /[^\p{L}\p{N}]/u, need: 'At least one symbol or space.', missing: 'Include at least one symbol or space.' },
};

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/**
 * The rules a new password must meet so that no bound directory refuses it: the strictest wins —
 * the longest minimum, the shortest maximum, every required character class.
 */
export function mergePolicy(local: PolicySettings, hints: PolicyHint[]): PolicySettings {
  let { minLength, maxLength } = local;
  const requires = new Set<CharacterClass>(local.requires ?? []);
  for (const h of hints) {
    minLength = Math.max(minLength, count(h.minLength) ?? 0);
    maxLength = Math.min(maxLength, count(h.maxLength) ?? maxLength);
    for (const c of h.requires ?? []) if (Object.hasOwn(CLASSES, c)) requires.add(c);
  }
  return { minLength, maxLength, ...(requires.size ? { requires: (Object.keys(CLASSES) as CharacterClass[]).filter((c) => requires.has(c)) } : {}) };
}

export interface PolicyContext {
  login: string;
  email: string;
  companyName: string;
  partnerName: string;
}

export interface Blocklist {
  has(lowercased: string): boolean;
}

export interface PolicyResult {
  ok: boolean;
  /** Plain-language reasons, shown to the user as they are. */
  problems: string[];
}

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function requirements(s: PolicySettings): string[] {
  return [
    `At least ${s.minLength} characters. A few unrelated words make a strong, memorable password.`,
    // Only worth saying when someone could reach it: the product itself allows far more.
    ...(s.maxLength <= 128 ? [`At most ${s.maxLength} characters.`] : []),
    ...(s.requires ?? []).map((c) => CLASSES[c].need),
    'Not a commonly used password.',
    'Not your login name, email address or company name.',
  ];
}

function contextTerms(ctx: PolicyContext): string[] {
  const squash = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  const terms = [ctx.login, ctx.email.split('@')[0] ?? '', ctx.companyName, ctx.partnerName].map(squash);
  return terms.filter((t) => t.length >= 3);
}

export function checkPassword(
  password: string,
  confirm: string,
  settings: PolicySettings,
  ctx: PolicyContext,
  blocklist: Blocklist,
): PolicyResult {
  const problems: string[] = [];
  const length = codePointLength(password);
  if (length === 0) {
    return { ok: false, problems: ['Enter a new password.'] };
  }
  if (length < settings.minLength) problems.push(`Use at least ${settings.minLength} characters (this one has ${length}).`);
  if (length > settings.maxLength) problems.push(`Use at most ${settings.maxLength} characters.`);
  for (const c of settings.requires ?? []) if (!CLASSES[c].test.test(password)) problems.push(CLASSES[c].missing);
  const lower = password.toLowerCase();
  if (blocklist.has(lower)) problems.push('This password is too common. Choose one that is harder to guess.');
  const squashed = lower.replace(/[^\p{L}\p{N}]+/gu, '');
  if (contextTerms(ctx).some((t) => squashed.includes(t))) {
    problems.push('Do not use your login name, email address or company name in your password.');
  }
  if (password !== confirm) problems.push('The two passwords do not match.');
  return { ok: problems.length === 0, problems };
}
