import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailTransportConfig } from '../config/schema.js';
import type { MailMessage, MailTransport } from '../domain/ports.js';
import type { Logger } from '../sync/contract.js';

export interface DkimSettings {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

/** The configured sender, with the brand's display name when there is one; the address never changes (SPF, DKIM). */
export function senderFor(from: string, message: MailMessage): string | { name: string; address: string } {
  if (!message.fromName) return from;
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
  return { name: message.fromName, address };
}

/**
 * What nodemailer gets: our own fields turned into its own. The Message-ID and the MIME boundaries
 * come from randomUUID's pooled randomness: nodemailer draws them with nine calls to randomBytes
 * per message, a few per cent of the time of sending ten thousand mails (docs/performance.md).
 */
function envelope(from: string, message: MailMessage): Mail.Options & { baseBoundary: string } {
  const { fromName: _name, replyTo, ...rest } = message;
  const sender = senderFor(from, message);
  const domain = (typeof sender === 'string' ? /<([^<>]+)>\s*$/.exec(sender)?.[1] ?? sender : sender.address).split('@').pop() || 'localhost';
  // baseBoundary is MailComposer's own option (the boundaries' random part), not in the typings.
  return { ...rest, baseBoundary: randomUUID().replace(/-/g, ''), from: sender, messageId: `<${randomUUID()}@${domain}>`, ...(replyTo ? { replyTo } : {}) };
}

export function createMailTransport(
  config: MailTransportConfig,
  opts: { from: string; dataDir: string; logger: Logger; dkim?: DkimSettings | undefined },
): MailTransport {
  return config.type === 'file' ? fileTransport(path.resolve(opts.dataDir, config.dir), opts) : smtpTransport(config, opts.from, opts.dkim);
}

/** Development: each message becomes an .eml file; the console names the file, never its content. */
function fileTransport(dir: string, opts: { from: string; logger: Logger; dkim?: DkimSettings | undefined }): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix', ...(opts.dkim ? { dkim: opts.dkim } : {}) });
  let n = 0;
  return {
    async send(message) {
      mkdirSync(dir, { recursive: true });
      const info = await transporter.sendMail(envelope(opts.from, message));
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${++n}.eml`;
      const file = path.join(dir, name);
      writeFileSync(file, info.message as Buffer);
      opts.logger.info({ file: path.relative(process.cwd(), file) }, `mail written to ${path.relative(process.cwd(), file)}`);
      return { ref: name };
    },
    async verify() {
      mkdirSync(dir, { recursive: true });
    },
    close() {},
  };
}

function smtpTransport(config: Extract<MailTransportConfig, { type: 'smtp' }>, from: string, dkim?: DkimSettings): MailTransport {
  const transporter = nodemailer.createTransport({
    ...(dkim ? { dkim } : {}),
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: config.requireTls,
    pool: config.pool,
    ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
  });
  return {
    async send(message: MailMessage) {
      // Composed into one buffer before it is sent: streamed from the composer, a message reached
      // the socket as one small write per line, the largest cost of a bulk send after composing.
      const mail = envelope(from, message);
      const node = new MailComposer(mail).compile();
      const raw = await node.build();
      // Given again for the raw send, so nodemailer draws no new ones for the node it wraps it in.
      const { messageId, baseBoundary } = mail;
      await transporter.sendMail({ envelope: node.getEnvelope(), raw, messageId, baseBoundary } as Mail.Options);
      return { ref: String(messageId) };
    },
    async verify() {
      await transporter.verify();
    },
    close() {
      transporter.close();
    },
  };
}
