import { describe, expect, it } from 'vitest';
import { commonPasswords } from '../../src/domain/blocklist.js';
import { checkPassword, codePointLength } from '../../src/domain/policy.js';
import { sharedI18n } from '../../src/i18n/index.js';

const settings = { minLength: 12, maxLength: 256 };
const ctx = { login: 'joany.hilll', email: 'joany.hilll@herman.example', companyName: 'Herman LLC', partnerName: 'Northwind Partners' };
const en = sharedI18n().for('en');
const check = (pw: string, confirm = pw) => {
  const { ok, problems } = checkPassword(pw, confirm, settings, ctx, commonPasswords());
  return { ok, problems: problems.map(en.message) };
};

describe('password policy', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(check('velvet orbit canyon lantern')).toEqual({ ok: true, problems: [] });
  });

  it('counts length in code points, so 12 emoji are 12 characters', () => {
    const emoji = '🔒'.repeat(12);
    expect(emoji.length).toBe(24);
    expect(codePointLength(emoji)).toBe(12);
    expect(check(emoji).ok).toBe(true);
    expect(check('🔒'.repeat(11)).problems[0]).toContain('at least 12 characters (this one has 11)');
  });

  it('rejects common passwords from a shipped list of tens of thousands, ignoring case', () => {
    const list = commonPasswords() as Set<string>;
    expect(list.size).toBeGreaterThan(30_000);
    expect(check('PasswordPassword').problems).toContain('This password is too common. Choose one that is harder to guess.');
    expect(check('1qaz2wsx3edc4rfv').ok).toBe(false);
    expect(check('LeaveMeAlone').ok).toBe(false);
  });

  it('rejects the login, the email local part and the company name inside the password', () => {
    for (const pw of ['my-Joany.Hilll-secret', 'xx joanyhilll yy zz', 'Herman LLC forever 99', 'northwindpartners!!']) {
      expect(check(pw).problems, pw).toContain('Do not use your login name, email address or company name in your password.');
    }
  });

  it('asks for the confirmation to match', () => {
    expect(check('velvet orbit canyon lantern', 'velvet orbit canyon lanterN').problems).toEqual(['The two passwords do not match.']);
  });

  it('allows at least 128 characters and refuses beyond the configured maximum', () => {
    expect(check('a quiet river '.repeat(10).slice(0, 128)).ok).toBe(true);
    expect(check('x'.repeat(257) + ' unique words').problems).toContain('Use at most 256 characters.');
  });
});
