import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.js';

const problems = (raw: unknown, env: NodeJS.ProcessEnv = {}) => {
  try {
    validateConfig(raw, 'test.yaml', env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('configuration', () => {
  it('fills documented defaults from an empty file', () => {
    const c = validateConfig({}, 'x', {});
    expect(c.server.port).toBe(3000);
    expect(c.reset.adminTtlSeconds).toBe(86400);
    expect(c.policy.minLength).toBe(12);
  });

  it('names the exact path of every problem at once', () => {
    const p = problems({ server: { port: 'eighty', publicUrl: 'not a url' }, policy: { minLength: 4 } });
    expect(p.some((x) => x.startsWith('server.port:'))).toBe(true);
    expect(p.some((x) => x.startsWith('server.publicUrl:'))).toBe(true);
    expect(p.some((x) => x.startsWith('policy.minLength:'))).toBe(true);
  });

  it('refuses the demo identity provider and every development shortcut in production, saying what to set', () => {
    const p = problems({ env: 'production', demo: { idp: true, seed: true } });
    expect(p).toEqual(expect.arrayContaining([
      expect.stringContaining('demo.idp: the demo identity provider is refused in production'),
      expect.stringContaining('demo.seed:'),
      expect.stringContaining('mail.transport:'),
      expect.stringContaining('server.publicUrl: must be https://'),
      expect.stringContaining('secrets.sessionSecret: required in production'),
      expect.stringContaining('secrets.dataKey: required in production'),
    ]));
  });

  it('refuses an API token issuer over plain http in production', () => {
    const oauth = { issuer: 'http://as.example', audience: 'https://resetbridge.example/api', allowInsecureIssuer: true };
    expect(problems({ env: 'production', api: { oauth } })).toEqual(expect.arrayContaining([
      expect.stringContaining('api.oauth.allowInsecureIssuer: refused in production'),
    ]));
    expect(problems({ api: { oauth } }).join('\n')).not.toContain('api.oauth');
  });

  it('resolves secrets by env reference and names a missing variable without a value', () => {
    const base = { sso: { connections: [{ id: 'acme', type: 'oidc', partner: 'acme', displayName: 'Acme', issuer: 'https://idp.acme.example', clientId: 'rb', clientSecret: 'env:ACME_SECRET' }] } };
    expect(validateConfig(base, 'x', { ACME_SECRET: 's3cr3t' }).sso.connections[0]).toMatchObject({ clientSecret: 's3cr3t' });
    expect(problems(base, {})).toEqual(['sso.connections[0].clientSecret: environment variable ACME_SECRET is not set (set it, or change the reference)']);
  });

  it('takes any setting from RESETBRIDGE_ variables with __ between levels, and still validates it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'rb-config-')), 'c.yaml');
    writeFileSync(file, 'server: { port: 3000 }\n');
    const { loadConfig } = await import('../../src/config/load.js');
    const c = loadConfig({ file, env: { RESETBRIDGE_SERVER__PUBLIC_URL: 'https://reset.example.com', RESETBRIDGE_POLICY__MIN_LENGTH: '15', RESETBRIDGE_DEMO__IDP: 'false' } });
    expect(c.server.publicUrl).toBe('https://reset.example.com');
    expect(c.policy.minLength).toBe(15);
    expect(c.demo.idp).toBe(false);
    expect(() => loadConfig({ file, env: { RESETBRIDGE_POLICY__MIN_LENGTH: '3' } })).toThrow(/policy\.minLength/);
  });

  it('keeps the commented production example valid: only the files it points to are missing here', async () => {
    const { loadConfig } = await import('../../src/config/load.js');
    const env = {
      NODE_ENV: 'production', RESETBRIDGE_SESSION_SECRET: 'x'.repeat(40), RESETBRIDGE_DATA_KEY: Buffer.alloc(32, 1).toString('base64'),
      DATABASE_URL: 'postgres://rb@db.internal/rb', SMTP_PASSWORD: 'p', ACME_OIDC_SECRET: 's', RESETBRIDGE_METRICS_TOKEN: 'm'.repeat(20),
    };
    try {
      loadConfig({ file: 'config/example.production.yaml', env });
      throw new Error('expected the missing key files to be reported');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.every((p) => p.includes('cannot read file /etc/resetbridge/'))).toBe(true);
    }
  });
});
