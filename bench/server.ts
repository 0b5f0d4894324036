import { pino } from 'pino';
import { validateConfig } from '../src/config/load.js';
import type { AdminUser } from '../src/domain/types.js';
import { startServer } from '../src/server.js';
import { freePort } from '../test/support/product.js';

/**
 * The product's configuration on a bench fixture: the local directory the fixture wrote, pooled
 * SMTP to the sink, and rate limits out of the way (the bench measures throughput, not the limits).
 * The same for the product in this process and for the one started as its own process.
 */
export function benchConfig(dataDir: string, port: number, smtpPort: number) {
  return {
    env: 'test',
    server: { host: '127.0.0.1', port, publicUrl: `http://127.0.0.1:${port}` },
    dataDir,
    directories: [{ id: 'bench-directory', plugin: 'local-directory', config: { file: 'directory.json' } }],
    mail: { transport: { type: 'smtp', host: '127.0.0.1', port: smtpPort, pool: true }, pollMs: 50 },
    rateLimits: Object.fromEntries(['issuePerAccount', 'issuePerIp', 'openPerToken', 'openPerIp', 'redeemPerToken', 'redeemPerIp', 'adminIssuePerAdmin'].map((b) => [b, { points: 1e9, seconds: 60 }])),
    // Each load run ends by dropping its connections, which the request log reports as warnings:
    // thousands of lines that would bury the figures.
    log: { level: 'error', pretty: false },
  };
}

/** The product in this process on a bench fixture. */
export async function startBenchServer(dataDir: string, smtpPort: number) {
  const port = await freePort();
  const running = await startServer(validateConfig(benchConfig(dataDir, port, smtpPort), 'bench'), { logger: pino({ level: 'error' }) });
  return { port, running };
}

export const benchAdmin = (partnerId: string): AdminUser => ({
  sub: 'bench', connectionId: 'bench', partnerId, email: 'bench@bench.example', name: 'Bench', roles: ['partner-admin'],
});
