import { describe, expect, it } from 'vitest';
import { checkBrandColour, contrastRatio, parseHexColour } from '../../src/domain/colour.js';
import { themeCss } from '../../src/http/brand/routes.js';
import { checkLogo, LOGO_MAX_BYTES } from '../../src/services/logo.js';

describe('brand colours', () => {
  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#1f5fbf', '#ffffff')).toBeCloseTo(6.09, 2);
    expect(contrastRatio('#767676', '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('reads hex in any case, with or without #, and widens the short form', () => {
    expect(parseHexColour('#0B5CAD')).toBe('#0b5cad');
    expect(parseHexColour('0b5cad')).toBe('#0b5cad');
    expect(parseHexColour('#abc')).toBe('#aabbcc');
    expect(parseHexColour('blue')).toBeUndefined();
    expect(parseHexColour('#12345')).toBeUndefined();
  });

  it('puts black text on a light button and white on a dark one', () => {
    const dark = checkBrandColour('#0b5cad');
    const light = checkBrandColour('#e8590c');
    expect(dark.ok && dark.colours.onPrimary).toBe('#ffffff');
    expect(light.ok && light.colours.onPrimary).toBe('#000000');
    // Orange reads as a button on white (3:1) but not as link text (4.5:1): links keep the default.
    expect(light.ok && light.colours.linksOnLight).toBe(false);
  });

  it('refuses a colour whose button would vanish on the white page, naming the ratio', () => {
    const yellow = checkBrandColour('#ffeb3b');
    expect(yellow.ok).toBe(false);
    expect(!yellow.ok && yellow.message).toMatch(/too light .* \(1\.\d\d:1; buttons need at least 3:1\)/);
  });

  it('writes a stylesheet that keeps the default button in the dark scheme when the brand colour would not show there', () => {
    const navy = checkBrandColour('#102a43');
    expect(navy.ok).toBe(true);
    if (!navy.ok) return;
    expect(navy.colours.buttonOnDark).toBe(false);
    const css = themeCss(navy.colours);
    expect(css).toContain(':root { --brand: #102a43; }');
    expect(css).toMatch(/prefers-color-scheme: dark[\s\S]*background: #7fb0ff/);
  });
});

describe('logo files', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  it('recognises PNG, JPEG and WebP by their first bytes, whatever the file is called', () => {
    expect(checkLogo(png)).toEqual({ ok: true, type: 'image/png' });
    expect(checkLogo(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).toEqual({ ok: true, type: 'image/jpeg' });
    expect(checkLogo(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]))).toEqual({ ok: true, type: 'image/webp' });
  });

  it('refuses SVG however it starts, with a message saying why', () => {
    for (const svg of ['<svg xmlns="http://www.w3.org/2000/svg"/>', '\uFEFF  <?xml version="1.0"?><!-- x --><svg>', '<!DOCTYPE svg><svg\n/>']) {
      const r = checkLogo(Buffer.from(svg));
      expect(r.ok).toBe(false);
      expect(!r.ok && r.message).toContain('SVG logos are not accepted');
    }
  });

  it('refuses other files and anything over the limit', () => {
    expect(checkLogo(Buffer.from('GIF89a')).ok).toBe(false);
    expect(checkLogo(Buffer.alloc(0)).ok).toBe(false);
    const big = checkLogo(Buffer.concat([png, Buffer.alloc(LOGO_MAX_BYTES)]));
    expect(!big.ok && big.message).toContain('larger than 200 KB');
  });
});
