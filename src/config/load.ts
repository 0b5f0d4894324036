import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[], source: string) {
    super(`Configuration in ${source} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables that override single settings, for containers and quick tries. */
const envOverrides: Array<[string, string[], (v: string) => unknown]> = [
  ['PORT', ['server', 'port'], Number],
  ['HOST', ['server', 'host'], String],
  ['PUBLIC_URL', ['server', 'publicUrl'], String],
  ['RESETBRIDGE_DATA_DIR', ['dataDir'], String],
  ['RESETBRIDGE_SESSION_SECRET', ['secrets', 'sessionSecret'], String],
  ['RESETBRIDGE_DATA_KEY', ['secrets', 'dataKey'], String],
  ['RESETBRIDGE_LOG_LEVEL', ['log', 'level'], String],
  ['DATABASE_URL', ['store', 'postgres', 'url'], String],
];

function setPath(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/**
 * `RESETBRIDGE_SERVER__PUBLIC_URL=https://…` sets `server.publicUrl`: `__` separates levels, each
 * level in upper snake case. Values are read as JSON when they parse (numbers, booleans, lists),
 * else as text.
 */
function applyPathOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('RESETBRIDGE_') || !name.includes('__') || value === undefined) continue;
    const keys = name.slice('RESETBRIDGE_'.length).split('__')
      .map((k) => k.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    let parsed: unknown = value;
    try {
      parsed = JSON.parse(value);
    } catch {
      // plain text
    }
    setPath(raw, keys, parsed);
  }
}

/** Resolves `env:NAME` and `file:PATH` references; literals pass through. */
export function resolveSecretRef(value: string, where: string, env: NodeJS.ProcessEnv, problems: string[]): string {
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const v = env[name];
    if (v === undefined || v === '') problems.push(`${where}: environment variable ${name} is not set (set it, or change the reference)`);
    return v ?? '';
  }
  if (value.startsWith('file:')) {
    const file = value.slice(5);
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      problems.push(`${where}: cannot read file ${file} (check the path and its permissions)`);
      return '';
    }
  }
  return value;
}

export function readConfigFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.RESETBRIDGE_CONFIG ?? path.join('config', 'default.yaml');
  let raw: Record<string, unknown>;
  try {
    raw = (readConfigFile(file) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError([`${file}: ${(e as Error).message} (fix the file or point RESETBRIDGE_CONFIG at another)`], file);
  }
  for (const [name, keys, convert] of envOverrides) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, keys, convert(v));
  }
  applyPathOverrides(raw, env);
  if (env.NODE_ENV === 'production' || env.NODE_ENV === 'development' || env.NODE_ENV === 'test') raw.env = env.NODE_ENV;
  Object.assign(raw, opts.overrides ?? {});
  return validateConfig(raw, file, env);
}

export function validateConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`), source);
  }
  const config = parsed.data;
  const problems: string[] = [];
  config.sso.connections.forEach((c, i) => {
    const at = `sso.connections[${i}]`;
    const ref = (v: string | undefined, name: string) => (v === undefined ? undefined : resolveSecretRef(v, `${at}.${name}`, env, problems));
    if (c.type === 'oidc') {
      if (c.clientSecret) c.clientSecret = ref(c.clientSecret, 'clientSecret');
      if (c.privateKey) c.privateKey = ref(c.privateKey, 'privateKey');
      return;
    }
    if (c.sp.privateKey) c.sp.privateKey = ref(c.sp.privateKey, 'sp.privateKey');
    if (c.sp.cert) c.sp.cert = ref(c.sp.cert, 'sp.cert');
    if (c.idp.metadataXml) c.idp.metadataXml = ref(c.idp.metadataXml, 'idp.metadataXml');
    if (c.idp.certs) c.idp.certs = c.idp.certs.map((cert, j) => ref(cert, `idp.certs[${j}]`) ?? '');
  });
  if (config.store.postgres.url) config.store.postgres.url = resolveSecretRef(config.store.postgres.url, 'store.postgres.url', env, problems);
  if (config.mail.transport.type === 'smtp' && config.mail.transport.password) {
    config.mail.transport.password = resolveSecretRef(config.mail.transport.password, 'mail.transport.password', env, problems);
  }
  if (config.mail.dkim) config.mail.dkim.privateKey = resolveSecretRef(config.mail.dkim.privateKey, 'mail.dkim.privateKey', env, problems);
  if (config.mail.dkim?.privateKey && !config.mail.dkim.privateKey.includes('PRIVATE KEY')) {
    problems.push('mail.dkim.privateKey: not a PEM private key (reference a file with `file:PATH`)');
  }
  if (config.metrics.token) config.metrics.token = resolveSecretRef(config.metrics.token, 'metrics.token', env, problems);
  for (const key of ['sessionSecret', 'dataKey'] as const) {
    const v = config.secrets[key];
    if (v) config.secrets[key] = resolveSecretRef(v, `secrets.${key}`, env, problems);
  }
  // Lengths are checked after references are resolved: `env:NAME` itself says nothing about the secret.
  if (config.secrets.sessionSecret && config.secrets.sessionSecret.length < 32) {
    problems.push('secrets.sessionSecret: must be at least 32 characters (make one with `openssl rand -base64 32`)');
  }
  if (config.metrics.token && config.metrics.token.length < 16) problems.push('metrics.token: must be at least 16 characters');
  if (config.secrets.dataKey && Buffer.from(config.secrets.dataKey, 'base64').length !== 32) {
    problems.push('secrets.dataKey: must be 32 bytes in base64 (make one with `openssl rand -base64 32`)');
  }
  problems.push(...bindingProblems(config));
  if (config.env === 'production') problems.push(...productionProblems(config));
  if (problems.length) throw new ConfigError(problems, source);
  return config;
}

/** A binding must name configured directories (the demo directory counts when demo data is on). */
function bindingProblems(config: Config): string[] {
  const known = new Set([...config.directories.map((d) => d.id), ...(config.demo.seed ? ['demo-directory'] : [])]);
  const problems: string[] = [];
  config.bindings.forEach((b, i) => {
    const targets = [{ instance: b.instance, path: `bindings[${i}].instance` }, ...(b.secondaries ?? []).map((t, j) => ({ instance: t.instance, path: `bindings[${i}].secondaries[${j}].instance` }))];
    for (const t of targets) {
      if (!known.has(t.instance)) problems.push(`${t.path}: no directory "${t.instance}" in directories[] (add it there, or fix the id)`);
    }
  });
  return problems;
}

function productionProblems(config: Config): string[] {
  const p: string[] = [];
  if (config.demo.idp) p.push('demo.idp: the demo identity provider is refused in production (set demo.idp: false and configure sso.connections)');
  if (config.demo.seed) p.push('demo.seed: demo data is refused in production (set demo.seed: false)');
  if (config.mail.transport.type === 'file') p.push('mail.transport: the file transport is for development (configure type: smtp)');
  if (!config.server.publicUrl.startsWith('https://')) p.push('server.publicUrl: must be https:// in production (reset links travel by email)');
  if (!config.secrets.sessionSecret) p.push('secrets.sessionSecret: required in production (e.g. env:RESETBRIDGE_SESSION_SECRET, 32+ random characters)');
  if (!config.secrets.dataKey) p.push('secrets.dataKey: required in production (e.g. env:RESETBRIDGE_DATA_KEY, `openssl rand -base64 32`)');
  if (config.demo.samlIdp) p.push('demo.samlIdp: the demo SAML identity provider is refused in production (set demo.samlIdp: false)');
  config.sso.connections.forEach((c, i) => {
    if (c.type === 'oidc' && c.allowInsecureIssuer) p.push(`sso.connections[${i}].allowInsecureIssuer: refused in production (use the IdP's https issuer)`);
    if (c.type === 'saml' && c.allowInsecureMetadataUrl) p.push(`sso.connections[${i}].allowInsecureMetadataUrl: refused in production (use the IdP's https metadata URL)`);
  });
  if (config.api.oauth?.allowInsecureIssuer) p.push('api.oauth.allowInsecureIssuer: refused in production (use the authorization server\'s https issuer)');
  return p;
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(root)';
}
