// Loads the configured directory adapter instances. Any instance that cannot load stops start-up:
// a password reset must never quietly skip a directory.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Adapter, Logger, PluginContext, PluginDefinition } from './contract.js';

export interface DirectoryInstanceConfig {
  id: string;
  plugin: string;
  config: unknown;
}

export interface RegistryContext {
  /** Folders holding `<name>/index.ts` plugins, searched in order before npm packages. */
  pluginDirs: string[];
  dataDir: string;
  logger: Logger;
  /** Where `env:NAME` references are looked up; process.env when absent. */
  env?: NodeJS.ProcessEnv;
  clock?: PluginContext['clock'];
  fetch?: typeof fetch;
}

export interface DirectoryInstance {
  id: string;
  plugin: string;
  adapter: Adapter;
}

export interface DirectoryRegistry {
  get(id: string): DirectoryInstance | undefined;
  list(): DirectoryInstance[];
  /** The validated config with referenced and secret-looking values replaced by '••••'. */
  redactedConfig(id: string): unknown;
  close(): Promise<void>;
}

export interface DirectoryProblem {
  /** Position in `directories[]`. */
  index: number;
  id: string;
  plugin: string;
  /** e.g. `config.url`; absent when the whole instance is at fault. */
  path?: string;
  detail: string;
  hint: string;
}

export class DirectoryConfigError extends Error {
  readonly problems: DirectoryProblem[];
  constructor(problems: DirectoryProblem[]) {
    super(formatProblems(problems));
    this.name = 'DirectoryConfigError';
    this.problems = problems;
  }
}

export const REDACTED = '••••';
const SECRET_KEY = /password|secret|token|key/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLUGIN_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/i;

const HINTS = {
  notFound: (name: string) =>
    `check the plugin name, add plugins/${name}/index.ts, or install the package that provides it.`,
  name: 'a plugin name is a folder name under a plugins folder, or an npm package name.',
  shape: 'a plugin module must `export default definePlugin({ name, configSchema, create })` from src/sync/contract.ts.',
  schema: "correct the value at that path in the directories section of the configuration; the plugin's README lists its options.",
  env: 'set that environment variable for the service, or change the reference.',
  file: 'check that the file exists and that the service user may read it.',
  create: "the plugin refused its configuration; see the plugin's README.",
  adapter: 'the plugin returned an adapter that breaks the contract; run the contract suite against it.',
  id: 'give every entry in directories a unique, non-empty id.',
};

type Issue = Omit<DirectoryProblem, 'index' | 'id' | 'plugin'>;
type Loaded = { instance: DirectoryInstance; redacted: unknown };

export async function loadDirectories(instances: DirectoryInstanceConfig[], ctx: RegistryContext): Promise<DirectoryRegistry> {
  const loaded: Loaded[] = [];
  const problems: DirectoryProblem[] = [];
  const seen = new Set<string>();
  // Every instance is tried, so one start-up shows every mistake instead of only the first.
  for (const [index, spec] of instances.entries()) {
    const where = { index, id: String(spec.id ?? ''), plugin: String(spec.plugin ?? '') };
    if (typeof spec.id !== 'string' || spec.id === '' || seen.has(spec.id)) {
      problems.push({ ...where, path: 'id', detail: spec.id ? `the id "${spec.id}" is used twice` : 'missing id', hint: HINTS.id });
      continue;
    }
    seen.add(spec.id);
    const result = await loadOne(spec, ctx);
    if ('issues' in result) problems.push(...result.issues.map((i) => ({ ...where, ...i })));
    else loaded.push(result);
  }
  const registry = createRegistry(loaded, ctx.logger);
  if (problems.length > 0) {
    await registry.close();
    throw new DirectoryConfigError(problems);
  }
  for (const { instance } of loaded) ctx.logger.info({ directory: instance.id, plugin: instance.plugin }, 'directory adapter loaded');
  return registry;
}

async function loadOne(spec: DirectoryInstanceConfig, ctx: RegistryContext): Promise<Loaded | { issues: Issue[] }> {
  const found = await findPlugin(spec.plugin, ctx.pluginDirs);
  if ('issues' in found) return found;
  const def = found.def;

  const refs: Refs = { paths: new Set(), secrets: [] };
  const issues: Issue[] = [];
  const input = await resolveRefs(spec.config, 'config', ctx.env ?? process.env, refs, issues);
  if (issues.length > 0) return { issues };

  const parsed = await def.configSchema.safeParseAsync(input);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => ({
        path: i.path.reduce<string>((p, k) => childPath(p, k), 'config'),
        detail: scrub(i.message, refs.secrets),
        hint: HINTS.schema,
      })),
    };
  }

  let adapter: Adapter;
  try {
    adapter = await def.create(parsed.data, pluginContext(spec.id, ctx));
  } catch (e) {
    return { issues: [{ detail: `the plugin failed to start: ${scrub(messageOf(e), refs.secrets)}`, hint: HINTS.create }] };
  }
  const broken = contractBreach(adapter);
  if (broken) {
    await adapter?.close?.().catch(() => undefined);
    return { issues: [{ detail: broken, hint: HINTS.adapter }] };
  }
  return {
    instance: { id: spec.id, plugin: spec.plugin, adapter },
    redacted: redact(parsed.data, 'config', refs),
  };
}

// ---- finding the plugin module ----

async function findPlugin(name: string, dirs: string[]): Promise<{ def: PluginDefinition } | { issues: Issue[] }> {
  if (typeof name !== 'string' || !PLUGIN_NAME.test(name)) {
    return { issues: [{ path: 'plugin', detail: `"${String(name)}" is not a valid plugin name`, hint: HINTS.name }] };
  }
  const candidates = name.includes('/') ? [] : dirs.flatMap((d) => ['ts', 'js'].map((ext) => join(resolve(d), name, `index.${ext}`)));
  let mod: unknown;
  try {
    const file = await firstFile(candidates);
    mod = file ? await import(pathToFileURL(file).href) : await import(name);
  } catch (e) {
    const detail = isMissingPackage(e, name)
      ? `plugin not found: no ${candidates.length ? `${candidates.join(', ')} and no ` : ''}npm package "${name}"`
      : `the plugin module failed to load: ${messageOf(e)}`;
    return { issues: [{ detail, hint: HINTS.notFound(name) }] };
  }
  const def = (mod as { default?: unknown } | null)?.default;
  if (!isPluginDefinition(def)) {
    return { issues: [{ detail: 'the module does not default-export a plugin definition', hint: HINTS.shape }] };
  }
  return { def };
}

async function firstFile(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    if (await stat(p).then((s) => s.isFile(), () => false)) return p;
  }
  return undefined;
}

function isMissingPackage(e: unknown, name: string): boolean {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  // A dependency missing *inside* the plugin is a load failure, not a missing plugin: Node quotes the package it missed.
  return code === 'ERR_MODULE_NOT_FOUND' && String(message).includes(`'${name}'`);
}

function isPluginDefinition(v: unknown): v is PluginDefinition {
  const d = v as Partial<PluginDefinition> | null;
  return typeof d === 'object' && d !== null && typeof d.name === 'string' && d.name !== ''
    && typeof d.create === 'function' && typeof d.configSchema?.safeParseAsync === 'function';
}

function contractBreach(a: Adapter | undefined): string | undefined {
  if (!a || typeof a !== 'object') return 'create() returned no adapter';
  if (a.capabilities?.setPassword !== true) return 'the adapter does not declare capabilities.setPassword: true';
  for (const m of ['testConnection', 'resolveAccount', 'setPassword'] as const) {
    if (typeof a[m] !== 'function') return `the adapter has no ${m}() method`;
  }
  if (a.capabilities.policyHints && typeof a.policyHints !== 'function') return 'capabilities.policyHints is set but policyHints() is missing';
  if (a.capabilities.revokeSessions && typeof a.revokeSessions !== 'function') return 'capabilities.revokeSessions is set but revokeSessions() is missing';
  return undefined;
}

function pluginContext(id: string, ctx: RegistryContext): PluginContext {
  const tag = (obj: object) => ({ directory: id, ...obj });
  return {
    logger: {
      info: (o, m) => ctx.logger.info(tag(o), m),
      warn: (o, m) => ctx.logger.warn(tag(o), m),
      error: (o, m) => ctx.logger.error(tag(o), m),
    },
    clock: ctx.clock ?? { now: () => new Date() },
    fetch: ctx.fetch ?? globalThis.fetch,
    dataDir: ctx.dataDir,
  };
}

// ---- env:/file: references ----

interface Refs {
  /** Config paths whose value came from a reference. */
  paths: Set<string>;
  /** The resolved values, kept only to scrub them out of messages. */
  secrets: string[];
}

async function resolveRefs(value: unknown, path: string, env: NodeJS.ProcessEnv, refs: Refs, issues: Issue[]): Promise<unknown> {
  if (Array.isArray(value)) {
    return Promise.all(value.map((v, i) => resolveRefs(v, childPath(path, i), env, refs, issues)));
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveRefs(v, childPath(path, k), env, refs, issues);
    return out;
  }
  if (typeof value !== 'string') return value;

  if (value.startsWith('env:')) {
    const name = value.slice(4);
    if (!ENV_NAME.test(name)) {
      issues.push({ path, detail: `"${value}" is not a valid env: reference (env:NAME)`, hint: HINTS.env });
      return undefined;
    }
    const v = env[name];
    if (v === undefined) {
      issues.push({ path, detail: `environment variable ${name} (from env:${name}) is not set`, hint: HINTS.env });
      return undefined;
    }
    return remember(v, path, refs);
  }
  if (value.startsWith('file:')) {
    const file = resolve(value.slice(5));
    try {
      // Secret files are usually written with a trailing newline that is not part of the secret.
      return remember((await readFile(file, 'utf8')).replace(/\r?\n$/, ''), path, refs);
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'unreadable';
      issues.push({ path, detail: `cannot read ${file} (from ${value}): ${code}`, hint: HINTS.file });
      return undefined;
    }
  }
  return value;
}

function remember(v: string, path: string, refs: Refs): string {
  refs.paths.add(path);
  if (v !== '') refs.secrets.push(v);
  return v;
}

function redact(value: unknown, path: string, refs: Refs): unknown {
  if (refs.paths.has(path)) return REDACTED;
  if (Array.isArray(value)) return value.map((v, i) => redact(v, childPath(path, i), refs));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v !== undefined ? REDACTED : redact(v, childPath(path, k), refs);
    }
    return out;
  }
  // A schema may move or transform values; a resolved secret is hidden wherever it ends up.
  if (typeof value === 'string' && refs.secrets.includes(value)) return REDACTED;
  return value;
}

/** Hides resolved secrets in text that may quote its input (schema messages, plugin errors). */
function scrub(text: string, secrets: string[]): string {
  return [...secrets].sort((a, b) => b.length - a.length).reduce((t, s) => t.split(s).join(REDACTED), text);
}

// ---- small helpers ----

function childPath(parent: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const k = String(key);
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `${parent}.${k}` : `${parent}[${JSON.stringify(k)}]`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function formatProblems(problems: DirectoryProblem[]): string {
  const lines = problems.map((p) =>
    `directories[${p.index}] "${p.id}" (plugin ${p.plugin}): ${p.path ? `${p.path}: ` : ''}${p.detail}`);
  const hints = [...new Set(problems.map((p) => `Hint: ${p.hint}`))];
  return [...lines, ...hints].join('\n');
}

function createRegistry(loaded: Loaded[], logger: Logger): DirectoryRegistry {
  const byId = new Map(loaded.map((l) => [l.instance.id, l]));
  let closing: Promise<void> | undefined;
  return {
    get: (id) => byId.get(id)?.instance,
    list: () => loaded.map((l) => l.instance),
    redactedConfig: (id) => structuredClone(byId.get(id)?.redacted),
    close() {
      closing ??= Promise.allSettled(loaded.map(async ({ instance }) => {
        try {
          await instance.adapter.close?.();
        } catch (e) {
          // Only the error's name: a plugin's message could quote its connection string.
          logger.warn({ directory: instance.id, error: e instanceof Error ? e.name : typeof e }, 'directory adapter did not close cleanly');
        }
      })).then(() => undefined);
      return closing;
    },
  };
}
