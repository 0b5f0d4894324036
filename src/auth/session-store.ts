import session from 'express-session';
import type { Clock, Store as DataStore } from '../domain/ports.js';

const systemClock: Clock = { now: () => new Date() };

/**
 * express-session on top of the Store port, so sessions live where the rest of the data does.
 *
 * The idle timeout is enforced here, on the server: every request pushes the record's expiry
 * `maxAge` ahead (rolling cookie + touch), and a record past its expiry is deleted and never
 * loaded, whatever cookie the browser still sends.
 */
export class PortSessionStore extends session.Store {
  constructor(private readonly store: DataStore, private readonly fallbackTtlMs: number, private readonly clock: Clock = systemClock) {
    super();
  }

  override get(sid: string, cb: (err: unknown, session?: session.SessionData | null) => void): void {
    this.store.getSession(sid).then((rec) => {
      if (!rec) return cb(null, null);
      if (rec.expiresAt <= this.clock.now().toISOString()) {
        return this.store.destroySession(sid).then(() => cb(null, null), cb);
      }
      cb(null, JSON.parse(rec.data) as session.SessionData);
    }, cb);
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    const ttl = sess.cookie?.originalMaxAge ?? this.fallbackTtlMs;
    const expires = new Date(this.clock.now().getTime() + ttl);
    this.store.setSession(sid, { data: JSON.stringify(sess), expiresAt: expires.toISOString() }).then(() => cb?.(), (e) => cb?.(e));
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.store.destroySession(sid).then(() => cb?.(), (e) => cb?.(e));
  }

  override touch(sid: string, sess: session.SessionData, cb?: () => void): void {
    this.set(sid, sess, () => cb?.());
  }
}
