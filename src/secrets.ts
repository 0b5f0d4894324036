import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config/schema.js';
import type { Logger } from './sync/contract.js';

export interface Secrets {
  sessionSecret: string;
  dataKey: Buffer;
}

/**
 * Configured secrets, or — in development only — ones generated once into `<dataDir>/secrets.json`
 * so a fresh clone works. Production refuses to start without configured ones (see config/load).
 */
export function resolveSecrets(config: Config, logger: Logger): Secrets {
  let generated: { sessionSecret: string; dataKey: string } | undefined;
  const devFile = path.resolve(config.dataDir, 'secrets.json');
  const dev = () => {
    if (generated) return generated;
    if (existsSync(devFile)) {
      generated = JSON.parse(readFileSync(devFile, 'utf8')) as { sessionSecret: string; dataKey: string };
    } else {
      mkdirSync(config.dataDir, { recursive: true });
      generated = { sessionSecret: randomBytes(32).toString('base64url'), dataKey: randomBytes(32).toString('base64') };
      writeFileSync(devFile, JSON.stringify(generated, null, 2), { mode: 0o600 });
    }
    logger.warn({ file: devFile }, 'DEVELOPMENT SECRETS in use: set secrets.sessionSecret and secrets.dataKey (env or file references) before production');
    return generated;
  };
  return {
    sessionSecret: config.secrets.sessionSecret ?? dev().sessionSecret,
    dataKey: Buffer.from(config.secrets.dataKey ?? dev().dataKey, 'base64'),
  };
}
