import type { Request } from 'express';
import type { RequestContext } from '../../domain/ports.js';

export function requestContext(req: Request): RequestContext {
  const acceptLanguage = req.get('accept-language');
  return {
    ip: req.ip ?? '', userAgent: String(req.get('user-agent') ?? '').slice(0, 300),
    ...(acceptLanguage ? { acceptLanguage: acceptLanguage.slice(0, 200) } : {}),
  };
}

/** Only local paths: no `//host`, no scheme, no backslash tricks. */
export function safeReturnTo(value: unknown, fallback = '/admin'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return fallback;
  return value;
}
