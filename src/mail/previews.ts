import type { MailMessage } from '../domain/ports.js';
import { LOCALES, LOCALE_NAMES } from '../i18n/index.js';
import type { MailBrand } from './brand.js';
import type { MailMessages } from './messages.js';

/** `label` is the English name; `labelKey` the same name in the console's language. */
export const PREVIEW_TEMPLATES = [
  { id: 'reset-link', label: 'Reset link (sent by an administrator)', labelKey: 'admin:idp.previews.templates.resetLink' },
  { id: 'reset-link-self-service', label: 'Reset link (asked for by the user)', labelKey: 'admin:idp.previews.templates.resetLinkSelfService' },
  { id: 'password-changed', label: 'Password changed', labelKey: 'admin:idp.previews.templates.passwordChanged' },
] as const;
export type PreviewTemplate = (typeof PREVIEW_TEMPLATES)[number]['id'];

export const PREVIEW_LOCALES: readonly string[] = LOCALES;
export const localeName = (code: string): string => (LOCALE_NAMES as Record<string, string>)[code] ?? code;

/**
 * The real mail templates rendered with made-up data, for the IdP admin's previews. The link and
 * code are samples that open nothing: no reset is created and no token exists.
 */
export class MailPreviews {
  constructor(private readonly deps: { messages: MailMessages; publicUrl: string; brandFor: (partnerId: string) => Promise<MailBrand & { name?: string }> }) {}

  isTemplate(id: string): id is PreviewTemplate {
    return PREVIEW_TEMPLATES.some((t) => t.id === id);
  }

  async render(partnerId: string, partnerName: string, template: PreviewTemplate, locale: string): Promise<MailMessage> {
    const brand = await this.deps.brandFor(partnerId);
    const base = {
      to: 'alex.example@example.com', accountName: 'Alex Example', login: 'alex.example',
      partnerName: brand.name ?? partnerName, companyName: 'Example Company', locale, timeZone: 'UTC',
    };
    const { messages, publicUrl } = this.deps;
    if (template === 'password-changed') {
      return messages.passwordChanged({ ...base, at: new Date(Date.UTC(2030, 0, 15, 9, 30)), ip: '203.0.113.7' }, brand);
    }
    return messages.resetLink({
      ...base, url: new URL('/reset/sample-link-for-preview', publicUrl).href, expiresAt: new Date(Date.UTC(2030, 0, 16, 9, 30)),
      flow: template === 'reset-link' ? 'admin' : 'self-service', code: '123456', codeUrl: new URL('/reset/code', publicUrl).href,
    }, brand);
  }
}
