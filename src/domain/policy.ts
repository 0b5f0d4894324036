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

const CLASSES: Record<CharacterClass, RegExp> = {
  upper: /\p{Lu}/u,
  lower: /\p{Ll}/u,
  digit: /\p{Nd}/u,
  special: /[^\p{L}\p{N}]/u,
};

/**
 * A rule or a problem by code and parameters (`policy:problem.tooShort`, `{ count: 12, length: 9 }`):
 * the page renders it in the reader's language.
 */
export interface PolicyMessage {
  key: string;
  params?: Record<string, string | number>;
}

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
  /** What is wrong, as message codes the page renders in the user's language. */
  problems: PolicyMessage[];
}

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function requirements(s: PolicySettings): PolicyMessage[] {
  return [
    { key: 'policy:requirement.minLength', params: { count: s.minLength } },
    // Only worth saying when someone could reach it: the product itself allows far more.
    ...(s.maxLength <= 128 ? [{ key: 'policy:requirement.maxLength', params: { count: s.maxLength } }] : []),
    ...(s.requires ?? []).map((c) => ({ key: `policy:requirement.${c}` })),
    { key: 'policy:requirement.notCommon' },
    { key: 'policy:requirement.notPersonal' },
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
  const problems: PolicyMessage[] = [];
  const problem = (code: string, params?: Record<string, number>) => problems.push({ key: `policy:problem.${code}`, ...(params ? { params } : {}) });
  const length = codePointLength(password);
  if (length === 0) {
    return { ok: false, problems: [{ key: 'policy:problem.empty' }] };
  }
  if (length < settings.minLength) problem('tooShort', { count: settings.minLength, length });
  if (length > settings.maxLength) problem('tooLong', { count: settings.maxLength });
  for (const c of settings.requires ?? []) if (!CLASSES[c].test(password)) problem(c);
  const lower = password.toLowerCase();
  if (blocklist.has(lower)) problem('common');
  const squashed = lower.replace(/[^\p{L}\p{N}]+/gu, '');
  if (contextTerms(ctx).some((t) => squashed.includes(t))) problem('personal');
  if (password !== confirm) problem('mismatch');
  return { ok: problems.length === 0, problems };
}
