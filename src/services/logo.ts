import type { LogoType } from '../domain/types.js';
import { sharedI18n, type Message } from '../i18n/index.js';

/** Logos are shown small; anything larger is a mistake or an attack on the store. */
export const LOGO_MAX_BYTES = 200 * 1024;

/** A refusal: English in `message`, the same words by key in `text` for a page in the reader's language. */
export interface LogoRefusal { ok: false; message: string; text: Message }

export type LogoCheck = { ok: true; type: LogoType } | LogoRefusal;

function refuse(key: string, params?: Message['params']): LogoRefusal {
  const text: Message = { key: `admin:idp.logo.${key}`, ...(params ? { params } : {}) };
  return { ok: false, message: sharedI18n().for('en').message(text), text };
}

export const LOGO_TOO_LARGE_MESSAGE: Message = { key: 'admin:idp.logo.tooLarge', params: { kb: LOGO_MAX_BYTES / 1024 } };


/** The image type by its first bytes; the file name and declared type are not believed. */
export function checkLogo(bytes: Buffer): LogoCheck {
  if (bytes.length === 0) return refuse('empty');
  if (bytes.length > LOGO_MAX_BYTES) return refuse('tooLarge', { kb: LOGO_MAX_BYTES / 1024 });
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { ok: true, type: 'image/png' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { ok: true, type: 'image/jpeg' };
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return { ok: true, type: 'image/webp' };
  const head = bytes.subarray(0, 2048).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (head.startsWith('<') && /<svg[\s>]/.test(head)) {
    return refuse('svg');
  }
  return refuse('notImage');
}

export const extensionOf = (type: LogoType): string => ({ 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' })[type];

export type LogoFetch = { ok: true; bytes: Buffer } | LogoRefusal;

/**
 * Fetches a logo once from an https address, reading at most one byte past the limit. Redirects are
 * not followed: the address given is the one checked. The address is never kept or shown on pages.
 */
export async function fetchLogo(address: string, opts: { timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<LogoFetch> {
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    return refuse('address');
  }
  if (url.protocol !== 'https:') return refuse('notHttps');
  if (url.username || url.password) return refuse('credentials');
  try {
    const res = await (opts.fetch ?? fetch)(url, { redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      return refuse('status', { status: res.status });
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > LOGO_MAX_BYTES) {
      await res.body.cancel();
      return refuse('tooLarge', { kb: LOGO_MAX_BYTES / 1024 });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > LOGO_MAX_BYTES) {
        await reader.cancel();
        return refuse('tooLarge', { kb: LOGO_MAX_BYTES / 1024 });
      }
      chunks.push(Buffer.from(value));
    }
    return { ok: true, bytes: Buffer.concat(chunks) };
  } catch {
    return refuse('unreachable');
  }
}
