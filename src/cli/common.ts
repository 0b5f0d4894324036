import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { RequestContext } from '../domain/ports.js';
import { API_SCOPES, type ApiClient } from '../domain/types.js';
import { openStore } from '../server.js';
import { AuditLog } from '../services/audit.js';
import type { ApiCaller } from '../services/provisioning.js';

export const configOption = ['-c, --config <file>', 'config file (default: RESETBRIDGE_CONFIG or config/default.yaml)'] as const;

export const print = (line: string) => void process.stdout.write(`${line}\n`);
export const note = (line: string) => void process.stderr.write(`${line}\n`);

export const silent = pino({ level: 'silent' });

export function configFrom(opts: { config?: string }): Config {
  return loadConfig(opts.config ? { file: opts.config } : {});
}

export async function openConfiguredStore(config: Config) {
  return (await openStore(config, path.resolve(config.dataDir), silent)).store;
}

/** What the audit trail records for requests the operator makes from a shell. */
export const cliContext = (): RequestContext => {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // a container without a passwd entry for the uid: the context still says it came from the CLI
  }
  return { ip: 'cli', userAgent: `resetbridge-cli (${user})` };
};

const OPERATOR_CLIENT = 'operator-cli';

/**
 * The provisioning services audit their caller as `api-client:<id>`; the operator is no API client,
 * so its events are rewritten to name the operator instead.
 */
export class OperatorAuditLog extends AuditLog {
  override record(...[input, ctx]: Parameters<AuditLog['record']>): ReturnType<AuditLog['record']> {
    const actor = input.actor === `api-client:${OPERATOR_CLIENT}` ? 'operator:cli' : input.actor;
    return super.record({ ...input, actor }, ctx);
  }
}

/** The operator acting through the provisioning services: every scope, every partner. */
export function operatorCaller(): ApiCaller {
  const client: ApiClient = {
    id: OPERATOR_CLIENT, name: 'operator (command line)', scopes: [...API_SCOPES], secretHash: '', createdAt: new Date(0).toISOString(), createdBy: 'operator:cli',
  };
  return { client, ctx: cliContext() };
}

export const STOPPED_SERVER_NOTE = 'With the embedded store, stop resetbridge first: a running instance keeps its own copy of the\n'
  + 'data files and would overwrite these changes. With PostgreSQL, run it any time.';
