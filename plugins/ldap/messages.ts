// What the end user reads when the directory refuses a password, and how a refusal is recognised.
import type { Violation, ViolationReason } from '../../src/sync/contract.js';
import { PPOLICY_ERRORS } from './ber.js';

export const USER_WORDS = {
  TOO_SHORT: "This password is too short for your organisation's directory. Choose a longer one.",
  TOO_LONG: "This password is too long for your organisation's directory. Choose a shorter one.",
  IN_HISTORY: 'This password was used recently. Choose one you have not used before.',
  TOO_YOUNG: 'This password was changed a short while ago and cannot be changed again yet. Try again later.',
  QUALITY: "This password does not meet your organisation's password rules. Choose a different one.",
  COMPLEXITY: "This password is not complex enough for your organisation's directory. Use at least three of: "
    + 'capital letters, small letters, digits and symbols, and leave out your name.',
  WRONG_CURRENT_PASSWORD: 'The current password you entered is not correct.',
  AD_GENERIC: "Your organisation's directory did not accept this password: it may be too short, too simple or used before. "
    + 'Choose a different one.',
} as const;

const violation = (reason: ViolationReason, message: string, providerKey?: string): Violation =>
  ({ reason, message, ...(providerKey ? { providerKey } : {}) });

/** From ppolicy's error number (5–9 are about the password itself). */
export function ppolicyViolation(error: number): Violation | undefined {
  const key = PPOLICY_ERRORS[error];
  switch (error) {
    case 5: return violation('GENERIC', USER_WORDS.QUALITY, key);
    case 6: return violation('TOO_SHORT', USER_WORDS.TOO_SHORT, key);
    case 7: return violation('TOO_YOUNG', USER_WORDS.TOO_YOUNG, key);
    case 8: return violation('IN_HISTORY', USER_WORDS.IN_HISTORY, key);
    case 9: return violation('TOO_LONG', USER_WORDS.TOO_LONG, key);
    default: return undefined;
  }
}

/**
 * From slapd's diagnostic text, for servers that do not send the ppolicy response control
 * (old slapd left it off extended-operation failures, ITS#5711).
 */
export function openldapViolation(diagnostic: string): Violation {
  const d = diagnostic.toLowerCase();
  if (d.includes('history') || d.includes('not being changed from existing value')) return violation('IN_HISTORY', USER_WORDS.IN_HISTORY);
  if (d.includes('too young')) return violation('TOO_YOUNG', USER_WORDS.TOO_YOUNG);
  if (d.includes('too short')) return violation('TOO_SHORT', USER_WORDS.TOO_SHORT);
  if (d.includes('too long')) return violation('TOO_LONG', USER_WORDS.TOO_LONG);
  return violation('GENERIC', USER_WORDS.QUALITY);
}

/**
 * Active Directory answers every policy refusal with the same `0000052D`; Samba adds the reason in
 * words after it, Windows does not, so the generic message covers length, complexity and history.
 */
export function activeDirectoryViolation(diagnostic: string): Violation {
  const code = adErrorCode(diagnostic);
  const d = diagnostic.toLowerCase();
  if (code === '00000056') return violation('WRONG_CURRENT_PASSWORD', USER_WORDS.WRONG_CURRENT_PASSWORD, code);
  if (d.includes('too short')) return violation('TOO_SHORT', USER_WORDS.TOO_SHORT, code);
  if (d.includes('too long')) return violation('TOO_LONG', USER_WORDS.TOO_LONG, code);
  if (d.includes('complexity')) return violation('GENERIC', USER_WORDS.COMPLEXITY, code);
  if (d.includes('history') || d.includes('already used')) return violation('IN_HISTORY', USER_WORDS.IN_HISTORY, code);
  if (d.includes('too young')) return violation('TOO_YOUNG', USER_WORDS.TOO_YOUNG, code);
  return violation('GENERIC', USER_WORDS.AD_GENERIC, code);
}

/** The 8-hex-digit Win32 code AD puts first in its diagnostic, e.g. `0000052D`. */
export function adErrorCode(diagnostic: string): string | undefined {
  return /^\s*([0-9A-F]{8}):/i.exec(diagnostic)?.[1]?.toUpperCase();
}
