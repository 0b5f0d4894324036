import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTenants } from '../../src/demo/tenants.js';
import { HttpClient, formFields } from '../support/http-client.js';
import { freePort } from '../support/product.js';
import { SmtpSink, recipient } from '../support/smtp-sink.js';

let smtp: SmtpSink;
let dataDir: string;
let configFile: string;
let port: number;

beforeAll(async () => {
  smtp = await SmtpSink.start();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-shutdown-'));
  port = await freePort();
  configFile = path.join(dataDir, 'config.yaml');
  writeFileSync(configFile, [
    `server: { host: 127.0.0.1, port: ${port}, publicUrl: "http://127.0.0.1:${port}" }`,
    `dataDir: ${JSON.stringify(path.join(dataDir, 'data'))}`,
    `mail: { transport: { type: smtp, host: 127.0.0.1, port: ${smtp.port}, pool: false }, pollMs: 100 }`,
    'demo: { seed: true, idp: false }',
    'rateLimits: { issuePerIp: { points: 100000 }, issuePerAccount: { points: 100000 } }',
    'log: { level: warn, pretty: false }',
  ].join('\n'));
});
afterAll(async () => {
  await smtp?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function start(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, RESETBRIDGE_CONFIG: configFile, NODE_ENV: 'test' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = () => fetch(`http://127.0.0.1:${port}/healthz`).then(() => resolve(child), () => {
      if (Date.now() > deadline) reject(new Error('server did not start'));
      else setTimeout(poll, 100);
    });
    poll();
  });
}

describe('graceful shutdown', () => {
  it('answers or refuses every request during SIGTERM, and every accepted request gets its mail', async () => {
    const child = await start();
    const northwind = demoTenants().accounts.filter((a) => a.partnerId === 'northwind').slice(0, 60);
    const accepted: string[] = [];
    const client = new HttpClient();
    const page = await client.get(`http://127.0.0.1:${port}/forgot/northwind`);
    const fields = formFields(page.text);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // SIGTERM once ten requests were answered, not at a fixed time: on a slow machine the rest are
    // then still in flight, on a fast one they are still arriving.
    const burst = northwind.map(async (account, i) => {
      await new Promise((r) => setTimeout(r, i * 5));
      try {
        const res = await client.post(`http://127.0.0.1:${port}/forgot/northwind`, { ...fields, identifier: account.login });
        if (res.status === 200) accepted.push(account.email);
        if (accepted.length === 10) child.kill('SIGTERM');
        else expect(res.status).toBe(200); // a request either gets its answer or no connection at all
      } catch {
        // refused after the listener closed: not accepted, nothing promised
      }
    });
    await Promise.all(burst);
    expect(await exited).toBe(0);
    expect(accepted.length).toBeGreaterThanOrEqual(10);

    // Whatever was accepted is either delivered already or still queued: a restart delivers the rest.
    const again = await start();
    try {
      for (const email of accepted) await smtp.waitFor((m) => recipient(m).includes(email), 20_000);
    } finally {
      again.kill('SIGTERM');
      await new Promise((r) => again.once('exit', r));
    }
  }, 90_000);
});
