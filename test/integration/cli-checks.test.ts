// `resetbridge config check` and `resetbridge directory test`: the operator's checks before a start.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProduct } from '../support/product.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function cli(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'resetbridge.js'), ...args], {
      cwd: root, env: { ...process.env, DATABASE_URL: '', ...env }, timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('resetbridge config check', () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-cli-config-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every problem of a broken file with its path, and exits 1', async () => {
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, [
      'server:', '  port: "not a number"', '  publicUrl: 12',
      'policy:', '  minLength: -3',
      'mail:', '  transport: { type: carrier-pigeon }',
    ].join('\n'));
    const run = await cli(['config', 'check', file], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`4 problem(s) in ${file}`);
    for (const at of ['server.port:', 'server.publicUrl:', 'policy.minLength:', 'mail.transport.type:']) expect(run.stdout).toContain(`  - ${at}`);
  });

  it("lists each directory's plugin problems once the settings themselves are sound", async () => {
    const file = path.join(dir, 'directories.yaml');
    writeFileSync(file, [
      'directories:',
      '  - id: corp-scim', '    plugin: scim', '    config: { baseUrl: "https://scim.corp.example/v2", token: "has space", timeoutMs: 5 }',
      '  - id: corp-other', '    plugin: no-such-plugin', '    config: {}',
    ].join('\n'));
    const run = await cli(['config', 'check', file, '--json'], {});
    expect(run.code).toBe(1);
    const { valid, problems } = JSON.parse(run.stdout) as { valid: boolean; problems: string[] };
    expect(valid).toBe(false);
    expect(problems.map((p) => p.split(':')[0])).toEqual(['directories[0].config.token', 'directories[0].config.timeoutMs', 'directories[1]']);
    expect(run.stdout).not.toContain('has space');
  });

  it('says a sound file is valid and exits 0', async () => {
    const run = await cli(['config', 'check', path.join(root, 'config', 'default.yaml')], {});
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^valid: /);
  });
});

describe('resetbridge directory test', () => {
  let dataDir: string;
  let configFile: string;
  let silentPort: Server;
  const env = () => ({ RESETBRIDGE_DATA_DIR: dataDir, RESETBRIDGE_CONFIG: configFile, CLI_SCIM_TOKEN: 'not-a-real-token' });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-cli-dirtest-'));
    await (await startProduct({}, { dataDir })).stop();
    // A port that accepts and at once hangs up: no SCIM server answers there.
    silentPort = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => silentPort.listen(0, '127.0.0.1', () => resolve()));
    const port = (silentPort.address() as { port: number }).port;
    configFile = path.join(dataDir, 'cli.yaml');
    writeFileSync(configFile, [
      'demo: { seed: true }',
      'directories:',
      `  - { id: corp-scim, plugin: scim, config: { baseUrl: "http://127.0.0.1:${port}/scim/v2", token: "env:CLI_SCIM_TOKEN", allowInsecureHttp: true, timeoutMs: 2000 } }`,
    ].join('\n'));
  });
  afterAll(async () => {
    await new Promise((resolve) => silentPort?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says in plain words that a reachable directory works, and exits 0', async () => {
    const run = await cli(['directory', 'test', 'demo-directory'], env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^works: demo-directory \(local-directory\): /);
  });

  it('says why a directory fails, without its secret, and exits 1', async () => {
    const run = await cli(['directory', 'test', 'corp-scim'], env());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAILS: corp-scim \(scim\): .*cannot be reached/);
    expect(run.stdout + run.stderr).not.toContain('not-a-real-token');
  });

  it('names the configured instances when asked for one that is not there', async () => {
    const run = await cli(['directory', 'test', 'nope'], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no directory instance "nope" in the configuration (known: corp-scim, demo-directory)');
  });
});
