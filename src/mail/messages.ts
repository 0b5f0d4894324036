import type { Eta } from 'eta';
import type { MailMessage, PasswordChangedMail, ResetLinkMail } from '../domain/ports.js';

const formatTime = (d: Date) =>
  new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' }).format(d);

/** Renders the product's mails, HTML and plain text, from `views/email/`. */
export class MailMessages {
  constructor(private readonly views: Eta) {}

  resetLink(m: ResetLinkMail): MailMessage {
    const data = { ...m, expires: formatTime(m.expiresAt) };
    return {
      to: m.to,
      subject: `${m.partnerName}: reset your password`,
      html: this.views.render('email/reset-link-html', data),
      text: this.views.render('email/reset-link-text', data),
    };
  }

  passwordChanged(m: PasswordChangedMail): MailMessage {
    const data = { ...m, when: formatTime(m.at) };
    return {
      to: m.to,
      subject: `${m.partnerName}: your password was changed`,
      html: this.views.render('email/password-changed-html', data),
      text: this.views.render('email/password-changed-text', data),
    };
  }
}
