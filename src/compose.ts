import { hkdfSync } from 'node:crypto';
import type { Eta } from 'eta';
import type { Config } from './config/schema.js';
import type { Clock, MailTransport, Store } from './domain/ports.js';
import { createSecretBox } from './domain/secretbox.js';
import { MailMessages } from './mail/messages.js';
import { MailOutbox } from './mail/outbox.js';
import type { Secrets } from './secrets.js';
import type { AuditLog } from './services/audit.js';
import { BrandingService } from './services/branding.js';
import type { ResetSettings } from './services/reset.js';
import type { Logger } from './sync/contract.js';

// Parts built the same way by the server and by operator commands: what one issues, the other
// must be able to deliver and redeem.

export function buildMailOutbox(deps: {
  config: Config; store: Store; clock: Clock; audit: AuditLog; logger: Logger; secrets: Secrets; views: Eta; transport: MailTransport;
}): MailOutbox {
  const { config, audit } = deps;
  const branding = brandingService(deps);
  return new MailOutbox({
    store: deps.store, clock: deps.clock, logger: deps.logger, transport: deps.transport, pollMs: config.mail.pollMs,
    box: createSecretBox({ k1: deps.secrets.dataKey }, 'k1'),
    messages: new MailMessages(deps.views),
    brandFor: (partnerId, accountId) => branding.forAccount(partnerId, accountId),
    // Delivery outcomes go to the audit trail, so the console shows what became of each mail.
    onOutcome: (mail, outcome, error) => audit.record({
      type: `mail.${outcome}`, outcome: outcome === 'sent' ? 'success' : 'failure', actor: 'system',
      ...(mail.partnerId ? { partnerId: mail.partnerId } : {}), ...(mail.accountId ? { target: `account:${mail.accountId}` } : {}),
      detail: { mailId: mail.id, kind: mail.kind, attempt: mail.attempts, ...(error ? { error: error.slice(0, 160) } : {}) },
    }),
  });
}

/** Branding as pages and mails resolve it (company override → partner → product default). */
export function brandingService(deps: { config: Config; store: Store; clock: Clock; audit: AuditLog }): BrandingService {
  return new BrandingService({ store: deps.store, audit: deps.audit, clock: deps.clock, publicUrl: deps.config.server.publicUrl });
}

const derive = (key: Buffer, purpose: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), purpose, 32));

export function resetSettings(config: Config, secrets: Secrets): ResetSettings {
  return {
    publicUrl: config.server.publicUrl,
    adminTtlSeconds: config.reset.adminTtlSeconds,
    selfServiceTtlSeconds: config.reset.selfServiceTtlSeconds,
    codeKey: derive(secrets.dataKey, 'resetbridge reset codes'),
    attemptKey: derive(secrets.dataKey, 'resetbridge attempt fingerprints'),
    claimSeconds: config.reset.claimSeconds,
    policy: config.policy,
  };
}
