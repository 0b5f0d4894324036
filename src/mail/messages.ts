import type { Eta } from 'eta';
import type { MailMessage, PasswordChangedMail, ResetLinkMail } from '../domain/ports.js';
import { PLAIN_MAIL_BRAND, senderOf, type MailBrand } from './brand.js';
import { sharedI18n, supportedLocale, type I18n, type Translator } from '../i18n/index.js';

/** Renders the product's mails, HTML and plain text, from `views/email/`, in the reader's language. */
export class MailMessages {
  constructor(private readonly views: Eta, private readonly i18n: I18n = sharedI18n()) {}

  /** The sender already chose the language (account → customer → partner → requester); English if none. */
  private translator(locale: string | undefined): Translator {
    return this.i18n.for(supportedLocale(locale) ?? 'en');
  }

  private words(tr: Translator) {
    return { lang: tr.locale, t: tr.t, th: tr.html, tt: tr.text };
  }

  resetLink(m: ResetLinkMail, brand: MailBrand = PLAIN_MAIL_BRAND): MailMessage {
    const tr = this.translator(m.locale);
    const data = { ...m, ...this.words(tr), brand, expires: tr.dateTime(m.expiresAt, m.timeZone) };
    return {
      to: m.to, ...senderOf(brand),
      subject: tr.t('mail:resetLink.subject', { partner: m.partnerName }),
      html: this.views.render('email/reset-link-html', data),
      text: this.views.render('email/reset-link-text', data),
    };
  }

  passwordChanged(m: PasswordChangedMail, brand: MailBrand = PLAIN_MAIL_BRAND): MailMessage {
    const tr = this.translator(m.locale);
    const data = { ...m, ...this.words(tr), brand, when: tr.dateTime(m.at, m.timeZone) };
    return {
      to: m.to, ...senderOf(brand),
      subject: tr.t('mail:passwordChanged.subject', { partner: m.partnerName }),
      html: this.views.render('email/password-changed-html', data),
      text: this.views.render('email/password-changed-text', data),
    };
  }
}
