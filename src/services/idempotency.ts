import { createHash } from 'node:crypto';
import type { Clock, Store } from '../domain/ports.js';

export type Begun =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

/**
 * `Idempotency-Key` on POST: the first request with a key runs, and its answer is kept (in the store,
 * so every instance sees it) until the key expires; the same key with the same request gets that
 * answer again, with another request a refusal.
 */
export class IdempotencyService {
  constructor(private readonly deps: { store: Store; clock: Clock; ttlSeconds: number }) {}

  static requestHash(method: string, path: string, body: unknown): string {
    return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(body ?? null)}`).digest('hex');
  }

  async begin(scope: string, key: string, requestHash: string): Promise<Begun> {
    const now = this.deps.clock.now();
    const held = await this.deps.store.reserveIdempotencyKey({
      scope, key, requestHash, createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.ttlSeconds * 1000).toISOString(),
    }, now.toISOString());
    if (!held) return { kind: 'new' };
    if (held.requestHash !== requestHash) return { kind: 'mismatch' };
    return held.response ? { kind: 'replay', ...held.response } : { kind: 'in-progress' };
  }

  finish(scope: string, key: string, status: number, body: string): Promise<void> {
    return this.deps.store.finishIdempotencyKey(scope, key, { status, body });
  }

  release(scope: string, key: string): Promise<void> {
    return this.deps.store.releaseIdempotencyKey(scope, key);
  }
}
