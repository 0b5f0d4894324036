import { Router, type RequestHandler } from 'express';
import { checkBrandColour, parseHexColour, type BrandColours } from '../../domain/colour.js';
import { DEFAULT_BRAND, type Brand, type BrandingService } from '../../services/branding.js';
import { extensionOf } from '../../services/logo.js';

// Both are addressed by their content (a colour, a hash), so they can be cached for good.
const FOREVER = 'public, max-age=31536000, immutable';
const DEFAULT_DARK_BUTTON = { background: '#7fb0ff', text: '#0b1220' };

/** The stylesheet for one brand colour: CSP allows no inline style, so the colour comes as a file. */
export function themeCss(c: BrandColours): string {
  const button = (bg: string, fg: string) =>
    `button.primary, .button.primary, a.button { background: ${bg}; border-color: ${bg}; color: ${fg}; }\n`;
  return [
    `/* brand colour ${c.primary}; text on it ${c.onPrimary} */\n`,
    c.linksOnLight ? `:root { --brand: ${c.primary}; }\n` : '',
    button(c.primary, c.onPrimary),
    '@media (prefers-color-scheme: dark) {\n',
    // Links keep the light-on-dark default; the button keeps the brand only where it stands out.
    '  :root { --brand: #7fb0ff; }\n',
    `  ${c.buttonOnDark ? button(c.primary, c.onPrimary) : button(DEFAULT_DARK_BUTTON.background, DEFAULT_DARK_BUTTON.text)}`,
    '}\n',
  ].join('');
}

/** Public: `/brand/theme/<hex>.css` and `/brand/logo/<partner>/<sha256>.<ext>`. */
export function brandRoutes(deps: { branding: BrandingService }): Router {
  const router = Router();

  router.get('/brand/theme/:file', (req, res) => {
    const hex = /^([0-9a-f]{6})\.css$/.exec(req.params.file)?.[1];
    const colour = hex ? parseHexColour(hex) : undefined;
    const checked = colour ? checkBrandColour(colour) : undefined;
    if (!checked?.ok) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.set('Cache-Control', FOREVER).type('text/css').send(themeCss(checked.colours));
  });

  router.get('/brand/logo/:partnerId/:file', async (req, res) => {
    const m = /^([0-9a-f]{64})\.(png|jpg|webp)$/.exec(req.params.file);
    const logo = m?.[1] ? await deps.branding.logo(req.params.partnerId, m[1]) : undefined;
    if (!logo || extensionOf(logo.contentType) !== m?.[2]) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.set({
      'Content-Type': logo.contentType,
      'Cache-Control': FOREVER,
      ETag: `"${logo.hash}"`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': 'inline',
      // Opened on its own, the image is inert whatever it holds.
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (req.get('if-none-match') === `"${logo.hash}"`) {
      res.status(304).end();
      return;
    }
    res.send(logo.bytes);
  });

  return router;
}

/**
 * Puts `brand` into every public page's view data: the link's company for `/reset/<token>`, the
 * partner for `/forgot/<partner>`, the product's own elsewhere. Looked up here rather than in the
 * page routes so every page of the flow (errors and "link expired" included) shows the same brand.
 * The one exception is the page a link opens (`GET /reset/<token>`, src/http/reset/page.ts): it
 * knows the company once it has found the link, so the link is not looked up twice on the busiest
 * page, and it never reaches this middleware.
 */
export function publicBrand(deps: { branding: BrandingService }): RequestHandler {
  return async (req, res, next) => {
    res.locals.brand = DEFAULT_BRAND;
    try {
      const [area, id] = (req.baseUrl + req.path).split('/').filter(Boolean).map((s) => decodeURIComponent(s));
      let brand: Brand | undefined;
      if (area === 'reset' && id && id !== 'code') {
        if (req.method !== 'GET' && req.method !== 'HEAD') brand = await deps.branding.forResetToken(id);
      } else if (area === 'forgot' && id) brand = await deps.branding.forTenant(id);
      if (brand) res.locals.brand = brand;
    } catch {
      // A page without its brand is better than no page: the product's look stays.
    }
    next();
  };
}
