import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
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

/** What nodemailer gets: our own fields turned into its own. */
function envelope(from: string, message: MailMessage) {
  const { fromName: _name, replyTo, ...rest } = message;
  return { ...rest, from: senderFor(from, message), ...(replyTo ? { replyTo } : {}) };
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
      const info = await transporter.sendMail(envelope(from, message));
      return { ref: String(info.messageId) };
    },
    async verify() {
      await transporter.verify();
    },
    close() {
      transporter.close();
    },
  };
}
