import { dictionary } from '@zxcvbn-ts/language-common';
import type { Blocklist } from './policy.js';

let cached: Set<string> | undefined;

/**
 * The ~49,000 most common breached passwords that zxcvbn-ts ships, lower-cased into a Set
 * once (O(1) look-ups).
 */
export function commonPasswords(): Blocklist {
  cached ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  return cached;
}
