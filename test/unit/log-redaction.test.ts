import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { loggerOptions } from '../../src/server.js';

describe('log redaction', () => {
  it('censors secret-looking fields at the top level and one level down, whatever the log call passes', () => {
    const lines: string[] = [];
    const { transport: _ignored, ...options } = loggerOptions(validateConfig({ log: { level: 'debug', pretty: false } }, 'test', {}));
    const logger = pino(options, { write: (l: string) => void lines.push(l) });
    logger.info({
      password: 'hunter2-correct-horse', token: 'tok-123456', url: 'https://x.example/reset/abc',
      user: { password: 'nested-secret-pw', clientSecret: 'cs-999' },
      req: { headers: { authorization: 'Bearer xyz-abc', cookie: 'rb.sid=s%3Aabc' } },
      accountId: 'acc_1',
    }, 'something happened');
    const out = lines.join('\n');
    for (const secret of ['hunter2-correct-horse', 'tok-123456', 'https://x.example/reset/abc', 'nested-secret-pw', 'cs-999', 'xyz-abc', 'rb.sid=']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('acc_1');
    expect(out).toContain('[redacted]');
  });
});
