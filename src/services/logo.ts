import type { LogoType } from '../domain/types.js';

/** Logos are shown small; anything larger is a mistake or an attack on the store. */
export const LOGO_MAX_BYTES = 200 * 1024;

export type LogoCheck = { ok: true; type: LogoType } | { ok: false; message: string };

export const LOGO_TOO_LARGE = `The logo is larger than ${LOGO_MAX_BYTES / 1024} KB. Save it smaller (a logo is shown at most 240 pixels wide) and try again.`;

/** The image type by its first bytes; the file name and declared type are not believed. */
export function checkLogo(bytes: Buffer): LogoCheck {
  if (bytes.length === 0) return { ok: false, message: 'Choose an image file to upload.' };
  if (bytes.length > LOGO_MAX_BYTES) return { ok: false, message: LOGO_TOO_LARGE };
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { ok: true, type: 'image/png' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { ok: true, type: 'image/jpeg' };
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return { ok: true, type: 'image/webp' };
  const head = bytes.subarray(0, 2048).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (head.startsWith('<') && /<svg[\s>]/.test(head)) {
    return { ok: false, message: 'SVG logos are not accepted, because an SVG file can carry scripts. Upload the logo as PNG, JPEG or WebP.' };
  }
  return { ok: false, message: 'This file is not a PNG, JPEG or WebP image. Upload the logo in one of those formats.' };
}

export const extensionOf = (type: LogoType): string => ({ 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' })[type];

export type LogoFetch = { ok: true; bytes: Buffer } | { ok: false; message: string };

/**
 * Fetches a logo once from an https address, reading at most one byte past the limit. Redirects are
 * not followed: the address given is the one checked. The address is never kept or shown on pages.
 */
export async function fetchLogo(address: string, opts: { timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<LogoFetch> {
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    return { ok: false, message: 'Enter the full address of the logo, starting with https://.' };
  }
  if (url.protocol !== 'https:') return { ok: false, message: 'The logo address must start with https://.' };
  if (url.username || url.password) return { ok: false, message: 'The logo address must not contain a user name or password.' };
  try {
    const res = await (opts.fetch ?? fetch)(url, { redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      return { ok: false, message: `The logo address answered with status ${res.status}. Check the address, or upload the file instead.` };
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > LOGO_MAX_BYTES) {
      await res.body.cancel();
      return { ok: false, message: LOGO_TOO_LARGE };
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
        return { ok: false, message: LOGO_TOO_LARGE };
      }
      chunks.push(Buffer.from(value));
    }
    return { ok: true, bytes: Buffer.concat(chunks) };
  } catch {
    return { ok: false, message: 'The logo could not be fetched from that address (no answer in time, or no valid https certificate). Upload the file instead.' };
  }
}
