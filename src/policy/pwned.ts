import { createHash } from 'node:crypto';
import type { BreachedPasswords } from '../domain/ports.js';

/**
 * k-anonymity range look-up (the Pwned Passwords protocol): only the first five hex characters
 * of the password's SHA-1 leave this process; the match happens here.
 */
export function pwnedPasswords(opts: { rangeUrl: string; timeoutMs: number; fetch?: typeof fetch }): BreachedPasswords {
  const doFetch = opts.fetch ?? fetch;
  return {
    async check(password) {
      const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
      const prefix = sha1.slice(0, 5);
      const suffix = sha1.slice(5);
      try {
        const res = await doFetch(`${opts.rangeUrl.replace(/\/?$/, '/')}${prefix}`, {
          headers: { 'Add-Padding': 'true', 'User-Agent': 'resetbridge' },
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        if (!res.ok) return 'unknown';
        for (const line of (await res.text()).split('\n')) {
          const [hash, count] = line.trim().split(':');
          // Padding entries carry a count of 0.
          if (hash === suffix && Number(count) > 0) return 'breached';
        }
        return 'clean';
      } catch {
        return 'unknown';
      }
    },
  };
}
