import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainEvent, verifyChain } from '../../src/domain/audit.js';
import { maskEmail } from '../../src/domain/mask.js';
import { createSecretBox } from '../../src/domain/secretbox.js';
import { hashToken, looksLikeToken, newToken } from '../../src/domain/tokens.js';

describe('reset tokens', () => {
  it('are 32 random bytes in base64url, distinct, and stored only as a SHA-256 hash', () => {
    const tokens = new Set(Array.from({ length: 1000 }, newToken));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) {
      expect(Buffer.from(t, 'base64url')).toHaveLength(32);
      expect(looksLikeToken(t)).toBe(true);
    }
    const t = [...tokens][0]!;
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toContain(t);
  });

  it('reject garbage before it reaches the store', () => {
    expect(looksLikeToken('../../etc/passwd')).toBe(false);
    expect(looksLikeToken('a'.repeat(44))).toBe(false);
  });
});

describe('secret box', () => {
  const k1 = randomBytes(32);
  it('round-trips and hides the plaintext', () => {
    const box = createSecretBox({ k1 }, 'k1');
    const sealed = box.seal('https://x.example/reset/secret-token');
    expect(sealed).not.toContain('secret-token');
    expect(box.open(sealed)).toBe('https://x.example/reset/secret-token');
  });

  it('opens values sealed under an older key after rotation, and refuses tampering', () => {
    const old = createSecretBox({ k1 }, 'k1').seal('hello');
    const rotated = createSecretBox({ k1, k2: randomBytes(32) }, 'k2');
    expect(rotated.open(old)).toBe('hello');
    const parts = old.split('.');
    parts[4] = Buffer.from('jello').toString('base64url');
    expect(() => rotated.open(parts.join('.'))).toThrow();
  });
});

describe('audit chain', () => {
  const build = () => {
    const a = chainEvent({ type: 'reset.issued', outcome: 'success', actor: 'admin:a@x' }, '2026-01-01T00:00:00Z', 1, '');
    const b = chainEvent({ type: 'reset.redeemed', outcome: 'success', actor: 'account:1' }, '2026-01-01T00:01:00Z', 2, a.hash);
    const c = chainEvent({ type: 'admin.signout', outcome: 'success', actor: 'admin:a@x' }, '2026-01-01T00:02:00Z', 3, b.hash);
    return [a, b, c];
  };
  it('verifies an intact chain', () => expect(verifyChain(build())).toEqual({ ok: true }));
  it('names the first edited event', () => {
    const events = build();
    events[1] = { ...events[1]!, actor: 'admin:mallory@x' };
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 2 });
  });
  it('gives the hash earlier versions wrote, so audit logs written before still verify', () => {
    // Keys out of order, an undefined member and non-ASCII text: the canonical form must not drift.
    const event = chainEvent({
      type: 'reset.opened', outcome: 'info', actor: 'account:a1', partnerId: 'p', target: 'account:a1',
      detail: { resetId: 'r1', zeta: 3, alpha: true, note: 'a "quoted" \u2028 ünï' }, ip: '127.0.0.1', userAgent: undefined,
    }, '2026-01-01T00:00:00.000Z', 7, 'prev');
    expect(event.hash).toBe('bb0b9753650f39293ffbba3122c5cd6f6b2c25c6ed34e1656299107fa8350686');
  });
  it('names a gap', () => {
    const events = build();
    events.splice(1, 1);
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 3 });
  });
});

describe('masked email', () => {
  it('keeps the first character and the domain', () => expect(maskEmail('jane.doe@acme.example')).toBe('j•••@acme.example'));
});
