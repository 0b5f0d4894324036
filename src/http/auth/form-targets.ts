import type { RequestHandler } from 'express';

/**
 * Adds the origins of connections made in the console to the CSP's form-action (a form that posts
 * here may be redirected on to an IdP, and form-action covers redirects). The header set by helmet
 * just before is extended in place; a connection made on another instance shows up within seconds.
 */
export function formTargets(origins: () => Promise<string[]>): RequestHandler {
  return async (_req, res, next) => {
    const csp = res.getHeader('Content-Security-Policy');
    if (typeof csp !== 'string') return next();
    const extra = (await origins().catch(() => [])).filter((o) => /^https?:\/\/[^\s;,']+$/.test(o));
    if (!extra.length) return next();
    res.setHeader('Content-Security-Policy', csp.split(';').map((d) => {
      const directive = d.trim();
      if (!directive.startsWith('form-action')) return directive;
      const have = new Set(directive.split(/\s+/));
      return [directive, ...extra.filter((o) => !have.has(o))].join(' ');
    }).join(';'));
    next();
  };
}
