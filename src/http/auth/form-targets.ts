import type { RequestHandler } from 'express';

/**
 * Adds the origins of connections made in the console to the CSP's form-action (a form that posts
 * here may be redirected on to an IdP, and form-action covers redirects). The header set by helmet
 * just before is extended in place; a connection made on another instance shows up within seconds.
 */
export function formTargets(origins: () => Promise<string[]>): RequestHandler {
  // The origins list is the same array until it is refreshed, and helmet's header the same string:
  // the extended header is kept for that pair instead of being rebuilt per request.
  let last: { list: string[]; csp: string; header: string } | undefined;
  return async (_req, res, next) => {
    const csp = res.getHeader('Content-Security-Policy');
    if (typeof csp !== 'string') return next();
    const list = await origins().catch(() => []);
    if (last?.list !== list || last.csp !== csp) last = { list, csp, header: extend(csp, list) };
    if (last.header !== csp) res.setHeader('Content-Security-Policy', last.header);
    next();
  };
}

function extend(csp: string, origins: string[]): string {
  const extra = origins.filter((o) => /^https?:\/\/[^\s;,']+$/.test(o));
  if (!extra.length) return csp;
  return csp.split(';').map((d) => {
    const directive = d.trim();
    if (!directive.startsWith('form-action')) return directive;
    const have = new Set(directive.split(/\s+/));
    return [directive, ...extra.filter((o) => !have.has(o))].join(' ');
  }).join(';');
}
