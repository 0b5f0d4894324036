// Password rules after NIST SP 800-63B: length first, a blocklist, no composition rules by default,
// nothing truncated, Unicode counted by code points.

export interface PolicySettings {
  minLength: number;
  maxLength: number;
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
  const lower = password.toLowerCase();
  if (blocklist.has(lower)) problems.push('This password is too common. Choose one that is harder to guess.');
  const squashed = lower.replace(/[^\p{L}\p{N}]+/gu, '');
  if (contextTerms(ctx).some((t) => squashed.includes(t))) {
    problems.push('Do not use your login name, email address or company name in your password.');
  }
  if (password !== confirm) problems.push('The two passwords do not match.');
  return { ok: problems.length === 0, problems };
}
