import { describe, expect, it } from 'vitest';
import { commonPasswords } from '../../src/domain/blocklist.js';
import { checkPassword as checkCodes, mergePolicy, requirements as requirementCodes, type PolicySettings } from '../../src/domain/policy.js';
import { sharedI18n } from '../../src/i18n/index.js';

// The rules and problems are codes; these tests read them as an English reader sees them.
const en = sharedI18n().for('en');
const checkPassword = (...args: Parameters<typeof checkCodes>) => {
  const { ok, problems } = checkCodes(...args);
  return { ok, problems: problems.map(en.message) };
};
const requirements = (s: PolicySettings) => requirementCodes(s).map(en.message);

const local = { minLength: 12, maxLength: 256 };
const ctx = { login: 'joany.hilll', email: 'joany.hilll@herman.example', companyName: 'Herman LLC', partnerName: 'Northwind Partners' };

describe('rules merged from every bound directory', () => {
  it('takes the longest minimum, the shortest maximum and every required character class', () => {
    expect(mergePolicy(local, [
      { minLength: 16, requires: ['digit'] },
      { minLength: 14, maxLength: 100, requires: ['upper', 'digit'] },
      {},
    ])).toEqual({ minLength: 16, maxLength: 100, requires: ['upper', 'digit'] });
  });

  it('never loosens the local rules, and ignores values that make no sense', () => {
    expect(mergePolicy(local, [{ minLength: 8, maxLength: 1000 }])).toEqual(local);
    expect(mergePolicy(local, [{ minLength: -3, maxLength: 0, requires: ['emoji' as never] }])).toEqual(local);
  });

  it('refuses a password a directory would refuse, in plain words, before any directory is asked', () => {
    const rules = mergePolicy(local, [{ minLength: 16, requires: ['upper', 'digit', 'special'] }]);
    const { ok, problems } = checkPassword('velvet orbit canyon', 'velvet orbit canyon', rules, ctx, commonPasswords());
    expect(ok).toBe(false);
    expect(problems).toEqual(['Include at least one capital letter.', 'Include at least one digit (0–9).']);
    expect(checkPassword('Velvet orbit canyon 7', 'Velvet orbit canyon 7', rules, ctx, commonPasswords())).toEqual({ ok: true, problems: [] });
    expect(checkPassword('Velvet orbit 7', 'Velvet orbit 7', rules, ctx, commonPasswords()).problems[0]).toContain('at least 16 characters');
  });

  it('shows the merged rules on the form', () => {
    const shown = requirements(mergePolicy(local, [{ minLength: 16, maxLength: 64, requires: ['lower', 'special'] }]));
    expect(shown[0]).toMatch(/^At least 16 characters/);
    expect(shown).toContain('At most 64 characters.');
    expect(shown).toContain('At least one small letter.');
    expect(shown).toContain('At least one symbol or space.');
    expect(requirements(local).join(' ')).not.toMatch(/At most|capital|digit/);
  });
});
