import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { REDACT_PATHS, startServer, type Running } from '../../src/server.js';
import type { Clock } from '../../src/domain/ports.js';
import { SmtpSink } from './smtp-sink.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

export interface Product extends Running {
  smtp: SmtpSink;
  dataDir: string;
  logLines: string[];
  stop(): Promise<void>;
}

export interface ProductOptions {
  clock?: Clock;
  /** The PostgreSQL store at this URL instead of the embedded one. */
  databaseUrl?: string;
  /** Config `secrets`: instances given the same ones accept each other's session and CSRF cookies. */
  secrets?: { sessionSecret: string; dataKey: string };
  /** This data folder (kept after stop) instead of a new one, e.g. another instance's, to share its demo directory. */
  dataDir?: string;
  /** This SMTP sink (kept after stop) instead of a new one, so the mails of several instances land in one place. */
  smtp?: SmtpSink;
}

/** Fresh random secrets, to hand to every instance of one installation. */
export function newSecrets(): { sessionSecret: string; dataKey: string } {
  return { sessionSecret: randomBytes(32).toString('base64url'), dataKey: randomBytes(32).toString('base64') };
}

/**
 * The whole product as `npm start` runs it — embedded store, seeded demo tenants, demo OIDC IdP,
 * demo directory — but on free ports, in a temporary data folder, mailing to a real SMTP sink.
 */
export async function startProduct(overrides: Partial<ConfigInput> = {}, opts: ProductOptions = {}): Promise<Product> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'resetbridge-test-'));
  const smtp = opts.smtp ?? await SmtpSink.start();
  const port = await freePort();
  const logLines: string[] = [];
  // The product's own redaction, at debug level: tests see every line the product would write.
  const logger = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => void logLines.push(line) });
  const config = validateConfig({
    env: 'test',
    server: { host: '127.0.0.1', port, publicUrl: `http://127.0.0.1:${port}` },
    dataDir,
    demo: { seed: true, idp: true, idpPort: 0 },
    mail: { from: 'resetbridge test <no-reply@test.example>', transport: { type: 'smtp', host: '127.0.0.1', port: smtp.port, secure: false, pool: false }, pollMs: 100, verifySeconds: 0 },
    log: { level: 'debug' },
    ...(opts.databaseUrl ? { store: { postgres: { url: opts.databaseUrl, connectRetries: 0, connectTimeoutMs: 2000 } } } : {}),
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
    ...overrides,
  }, 'test');
  const running = await startServer(config, { logger, ...(opts.clock ? { clock: opts.clock } : {}) });
  return {
    ...running, smtp, dataDir, logLines,
    async stop() {
      await running.close();
      if (!opts.smtp) await smtp.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
