import type { Logger } from '../sync/contract.js';

/**
 * Runs `pass` now and then every `pollMs`, one pass at a time: `kick()` asks for a pass at once (or
 * right after the running one), `stop()` waits for the running pass. A pass that fails (the
 * database is down) is logged and tried again at the next poll, never left unhandled.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly opts: { pollMs: number; logger: Logger; failure: string },
  ) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    // Asked again while a pass runs: one more pass follows it, however many times it was asked
    // (every queued mail asks; a callback per ask piled up one pass per mail behind the first).
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.again = false;
    this.running = this.pass().catch((e: unknown) => {
      this.opts.logger.warn({ error: (e as Error).message }, this.opts.failure);
    }).finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) this.kick();
      else this.timer = setTimeout(() => this.kick(), this.opts.pollMs);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * A worker whose passes run on a PollingLoop: `drain()` is one pass; `start`, `kick` and `stop`
 * are the loop's.
 */
export abstract class PolledWorker {
  private readonly loop: PollingLoop;

  constructor(opts: { pollMs: number; logger: Logger; failure: string }) {
    this.loop = new PollingLoop(() => this.drain(), opts);
  }

  protected abstract drain(): Promise<void>;

  start(): void {
    this.loop.start();
  }

  /** Runs a pass now, or right after the one in progress. */
  kick(): void {
    this.loop.kick();
  }

  /** Stops polling and waits for the pass in flight. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
