// Webhook signatures. Self-contained (node:crypto only) so a receiver can copy this file as it is.
//
//   Resetbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// The timestamp is inside the signed text, so an old request cannot be replayed with a new time;
// a receiver refuses signatures older (or newer) than its replay window, 5 minutes by default.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Resetbridge-Signature';
export const EVENT_ID_HEADER = 'Resetbridge-Event-Id';
export const EVENT_TYPE_HEADER = 'Resetbridge-Event-Type';
export const REPLAY_WINDOW_SECONDS = 300;

function hmacHex(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The header value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

/**
 * True when `header` carries a `v1` signature of exactly `body` (the raw bytes as received, before
 * any JSON parsing) by `secret`, made within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(opts: {
  secret: string;
  header: string | undefined;
  body: string | Buffer;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): boolean {
  if (!opts.header) return false;
  const parts = opts.header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v)).map(([, v]) => v!);
  if (!Number.isInteger(t) || !signatures.length) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? REPLAY_WINDOW_SECONDS)) return false;
  const expected = Buffer.from(hmacHex(opts.secret, t, opts.body), 'hex');
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
