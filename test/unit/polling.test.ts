import { describe, expect, it } from 'vitest';
import { PollingLoop } from '../../src/lib/polling.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !done() && Date.now() < deadline;) await sleep(10);
}

describe('polling loop', () => {
  it('makes one more pass after being asked many times during a pass, not one per ask', async () => {
    let passes = 0;
    const loop = new PollingLoop(async () => {
      passes++;
      await sleep(40);
    }, { pollMs: 60_000, logger: silent, failure: 'pass failed' });
    loop.start();
    for (let i = 0; i < 500; i++) loop.kick();
    await until(() => passes >= 2);
    // A pass per ask would keep going here, one after the other.
    await sleep(200);
    expect(passes).toBe(2);
    loop.kick();
    await until(() => passes >= 3);
    await sleep(100);
    expect(passes).toBe(3);
    await loop.stop();
  });

  it('runs no pass asked for after it stopped, and a failed pass does not stop it', async () => {
    let passes = 0;
    const warnings: string[] = [];
    const loop = new PollingLoop(async () => {
      passes++;
      if (passes === 1) throw new Error('database down');
    }, { pollMs: 20, logger: { ...silent, warn: (_o: object, msg: string) => void warnings.push(msg) }, failure: 'pass failed' });
    loop.start();
    await until(() => passes > 1);
    expect(passes).toBeGreaterThan(1);
    expect(warnings[0]).toBe('pass failed');
    await loop.stop();
    const stoppedAt = passes;
    loop.kick();
    await sleep(60);
    expect(passes).toBe(stoppedAt);
  });
});
