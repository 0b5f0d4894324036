import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../domain/secretbox.js';
import type { OutboxMail } from '../domain/types.js';
import type {
  Clock, MailMessage, MailTransport, Notifier, PasswordChangedMail, ResetLinkMail, Store,
} from '../domain/ports.js';
import type { Logger } from '../sync/contract.js';
import type { MailMessages } from './messages.js';
import { PLAIN_MAIL_BRAND, type MailBrand } from './brand.js';
import { PolledWorker } from '../lib/polling.js';

const MAX_ATTEMPTS = 6;
/**
 * Mails on their way at once; the SMTP pool sends over a few connections and queues the rest.
 * Measured with 10,000 mails (docs/performance.md): 32 composed far ahead of the pool and slowed
 * the requests issuing them; 8 left the pool idle at times; 16 finished soonest.
 */
const SENDING = 16;

/**
 * Mails wait in the store's outbox, sealed (a reset mail carries a live link), and a worker
 * delivers them off the request path, retrying with backoff.
 */
export class MailOutbox extends PolledWorker implements Notifier {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      box: SecretBox;
      messages: MailMessages;
      transport: MailTransport;
      logger: Logger;
      pollMs: number;
      /** Records delivery outcomes in the audit log (kind and mail id only, never the content). */
      onOutcome?: (mail: OutboxMail, outcome: 'sent' | 'retry' | 'failed' | 'bounced', error?: string) => Promise<unknown>;
      /** The branding of the account's company (its override, else the partner's); the product's look without it. */
      brandFor?: (partnerId: string, accountId?: string) => Promise<MailBrand>;
    },
  ) {
    super({ pollMs: deps.pollMs, logger: deps.logger, failure: 'mail delivery pass failed; will try again' });
  }

  async resetLink(mail: ResetLinkMail, partnerId: string, accountId?: string): Promise<void> {
    const brand = await this.brand(partnerId, accountId);
    return this.enqueue('reset-link', partnerId, this.deps.messages.resetLink({ ...mail, partnerName: brand.name ?? mail.partnerName }, brand), accountId);
  }

  async passwordChanged(mail: PasswordChangedMail, partnerId: string, accountId?: string): Promise<void> {
    const brand = await this.brand(partnerId, accountId);
    return this.enqueue('password-changed', partnerId, this.deps.messages.passwordChanged({ ...mail, partnerName: brand.name ?? mail.partnerName }, brand), accountId);
  }

  /** A branding look-up that fails must not lose the mail: it goes out in the product's look. */
  private async brand(partnerId: string, accountId?: string): Promise<MailBrand> {
    try {
      return (await this.deps.brandFor?.(partnerId, accountId)) ?? PLAIN_MAIL_BRAND;
    } catch (e) {
      this.deps.logger.warn({ partnerId, error: (e as Error).message }, 'branding could not be read; mail sent unbranded');
      return PLAIN_MAIL_BRAND;
    }
  }

  private async enqueue(kind: string, partnerId: string, message: MailMessage, accountId?: string): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    await this.deps.store.enqueueMail({
      id: randomUUID(), partnerId, ...(accountId ? { accountId } : {}), kind, sealed: this.deps.box.seal(JSON.stringify(message)),
      status: 'queued', attempts: 0, nextAttemptAt: now, createdAt: now,
    });
    this.kick();
  }

  /**
   * Keeps up to SENDING mails in flight and claims more as each one finishes, rather than waiting
   * for a whole batch: one slow answer no longer holds up the nine beside it, and the SMTP pool's
   * connections and the store's group commits stay busy.
   */
  protected async drain(): Promise<void> {
    const { store, clock } = this.deps;
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      const room = SENDING - inFlight.size;
      // Claiming scans the outbox: only when a good share of the slots is free, not for every one.
      const batch = room >= SENDING / 4 || inFlight.size === 0 ? await store.claimMail(clock.now().toISOString(), room) : [];
      for (const mail of batch) {
        const sending: Promise<void> = this.deliver(mail)
          .catch((e: unknown) => this.deps.logger.warn({ mailId: mail.id, error: (e as Error).message }, 'mail outcome could not be stored'))
          .finally(() => inFlight.delete(sending));
        inFlight.add(sending);
      }
      if (!inFlight.size) return;
      if (!batch.length || inFlight.size >= SENDING * 3 / 4) await Promise.race(inFlight);
    }
  }

  private async deliver(mail: OutboxMail): Promise<void> {
    const { store, clock, box, transport, logger } = this.deps;
    try {
      await transport.send(JSON.parse(box.open(mail.sealed)) as MailMessage);
      await store.finishMail(mail.id, { ok: true, at: clock.now().toISOString() });
      await this.deps.onOutcome?.(mail, 'sent');
    } catch (e) {
      const error = (e as Error).message.slice(0, 200);
      // A 5xx answer (no such mailbox, rejected) is a bounce: sending again cannot help.
      const code = (e as { responseCode?: number }).responseCode;
      const permanent = typeof code === 'number' && code >= 500 && code < 600;
      const retry = !permanent && mail.attempts < MAX_ATTEMPTS;
      logger.warn({ mailId: mail.id, kind: mail.kind, attempt: mail.attempts, error }, retry ? 'mail delivery failed; will retry' : 'mail delivery failed; giving up');
      await store.finishMail(mail.id, retry
        ? { ok: false, error, retryAt: new Date(clock.now().getTime() + 2 ** mail.attempts * 5000).toISOString() }
        : { ok: false, error });
      await this.deps.onOutcome?.(mail, retry ? 'retry' : permanent ? 'bounced' : 'failed', error);
    }
  }
}
