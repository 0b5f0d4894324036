/** What a mail shows of the tenant's branding (the branding service's `Brand` fits it). */
export interface MailBrand {
  name?: string;
  /** Absolute: mail clients fetch it from resetbridge's public URL. */
  logo?: { url: string; alt: string };
  colours: { primary: string; onPrimary: string };
  support: { email?: string; url?: string; phone?: string };
  senderName?: string;
  replyTo?: string;
}

export const PLAIN_MAIL_BRAND: MailBrand = { colours: { primary: '#1f5fbf', onPrimary: '#ffffff' }, support: {} };

/** Sender display name and Reply-To from the brand; the sending address stays the configured one. */
export const senderOf = (brand: MailBrand) => ({
  ...(brand.senderName ? { fromName: brand.senderName } : {}),
  ...(brand.replyTo ? { replyTo: brand.replyTo } : {}),
});
