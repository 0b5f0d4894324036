// WCAG 2.x contrast maths for the brand colour: https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio

/** `#rrggbb` in lower case, or undefined when `input` is no hex colour (`#abc` is widened). */
export function parseHexColour(input: string): string | undefined {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(input.trim());
  if (!m?.[1]) return undefined;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return `#${hex.toLowerCase()}`;
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Body text needs 4.5:1 (1.4.3); a button's shape against the page needs 3:1 (1.4.11). */
export const TEXT_CONTRAST = 4.5;
export const SHAPE_CONTRAST = 3;

/** The light page's card and the dark scheme's card (views/static/app.css). */
export const LIGHT_SURFACE = '#ffffff';
export const DARK_SURFACE = '#243040';

export interface BrandColours {
  primary: string;
  /** White or black, whichever reads better on the primary colour. */
  onPrimary: string;
  /** Links in the primary colour only where it reads as text on the light page. */
  linksOnLight: boolean;
  /** Dark scheme: the primary button only where it stands out from the dark card. */
  buttonOnDark: boolean;
}

/** A refusal's words by resource key and parameters (the i18n layer's `Message`), for a page in the reader's language. */
export interface ColourText {
  key: string;
  params: Record<string, string | number>;
}

/** A refusal carries the English words in `message` and the same words by key in `text`. */
export type ColourCheck = { ok: true; colours: BrandColours } | { ok: false; message: string; text: ColourText };

/**
 * Whether `hex` can be the primary colour: its button must stand out from the white page and carry
 * readable text. Refused with a message naming the ratio that fell short, so the admin can adjust.
 */
export function checkBrandColour(hex: string): ColourCheck {
  const white = contrastRatio(hex, '#ffffff');
  const black = contrastRatio(hex, '#000000');
  const onPrimary = white >= black ? '#ffffff' : '#000000';
  const text = Math.max(white, black);
  if (text < TEXT_CONTRAST) {
    return {
      ok: false,
      message: `No text colour is readable on ${hex}: white gives ${white.toFixed(2)}:1 and black ${black.toFixed(2)}:1, and at least ${TEXT_CONTRAST}:1 is needed. Choose a lighter or darker shade.`,
      text: { key: 'admin:idp.branding.errors.unreadableOn', params: { colour: hex, white: white.toFixed(2), black: black.toFixed(2), needed: TEXT_CONTRAST } },
    };
  }
  const page = contrastRatio(hex, LIGHT_SURFACE);
  if (page < SHAPE_CONTRAST) {
    return {
      ok: false,
      message: `${hex} is too light to see against the white page (${page.toFixed(2)}:1; buttons need at least ${SHAPE_CONTRAST}:1). Choose a darker shade.`,
      text: { key: 'admin:idp.branding.errors.tooLight', params: { colour: hex, ratio: page.toFixed(2), needed: SHAPE_CONTRAST } },
    };
  }
  return {
    ok: true,
    colours: { primary: hex, onPrimary, linksOnLight: page >= TEXT_CONTRAST, buttonOnDark: contrastRatio(hex, DARK_SURFACE) >= SHAPE_CONTRAST },
  };
}
