import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { demoDirectoryInstance } from '../demo/directory.js';
import { pluginsDir } from '../server.js';
import { DirectoryConfigError, loadDirectories } from '../sync/registry.js';
import { configFrom, configOption, print, silent } from './common.js';

/** The configured directory instances, plus the demo directory when the demo seeds its data. */
function instancesOf(config: Config) {
  const instances = [...config.directories];
  if (config.demo.seed && !instances.some((i) => i.id === demoDirectoryInstance.id)) instances.push(demoDirectoryInstance);
  return instances;
}

async function directoryTest(id: string, opts: { config?: string; json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  const spec = instancesOf(config).find((i) => i.id === id);
  if (!spec) throw new Error(`no directory instance "${id}" in the configuration (known: ${instancesOf(config).map((i) => i.id).join(', ') || 'none'})`);
  const registry = await loadDirectories([spec], { pluginDirs: [pluginsDir], dataDir: path.resolve(config.dataDir), logger: silent });
  try {
    const entry = registry.get(id)!;
    const health = await entry.adapter.testConnection().catch((e: unknown) => ({ ok: false, message: (e as Error).message }));
    if (opts.json) print(JSON.stringify({ instance: id, plugin: entry.plugin, ...health }));
    else print(`${health.ok ? 'works' : 'FAILS'}: ${id} (${entry.plugin}): ${health.message}`);
    process.exitCode = health.ok ? 0 : 1;
  } finally {
    await registry.close();
  }
}

/** Every problem of the file: the settings first, then (when those are sound) each directory's plugin options. */
async function problemsOf(file: string | undefined): Promise<string[]> {
  let config: Config;
  try {
    config = loadConfig(file ? { file } : {});
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  try {
    const registry = await loadDirectories(config.directories, { pluginDirs: [pluginsDir], dataDir: path.resolve(config.dataDir), logger: silent });
    await registry.close();
  } catch (e) {
    if (!(e instanceof DirectoryConfigError)) throw e;
    return e.problems.map((p) => `directories[${p.index}]${p.path ? `.${p.path}` : ''}: ${p.detail} (${p.hint})`);
  }
  return [];
}

export function registerChecks(program: Command, directory: Command): void {
  directory
    .command('test <instance>')
    .description("sign in to a directory as its service account and say whether that works; exit 1 if it does not")
    .option('--json', 'print the result as JSON')
    .option(...configOption)
    .addHelpText('after', '\nExample:\n  npx resetbridge directory test corp-ldap')
    .action(directoryTest);

  program
    .command('config')
    .description('the configuration file')
    .command('check [file]')
    .description('validate a configuration file and list every problem with its path; exit 1 if there is one')
    .option('--json', 'print the problems as JSON')
    .addHelpText('after', '\nThe file is read as at start-up, environment overrides included\n'
      + '(default: RESETBRIDGE_CONFIG or config/default.yaml).\n\nExample:\n  npx resetbridge config check config/production.yaml')
    .action(async (file: string | undefined, opts: { json?: boolean }) => {
      const problems = await problemsOf(file);
      if (opts.json) print(JSON.stringify({ valid: problems.length === 0, problems }));
      else if (problems.length === 0) print(`valid: ${file ?? process.env.RESETBRIDGE_CONFIG ?? 'config/default.yaml'}`);
      else {
        print(`${problems.length} problem(s) in ${file ?? process.env.RESETBRIDGE_CONFIG ?? 'config/default.yaml'}:`);
        for (const p of problems) print(`  - ${p}`);
      }
      process.exitCode = problems.length ? 1 : 0;
    });
}
