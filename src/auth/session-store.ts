import session from 'express-session';
import type { Store as DataStore } from '../domain/ports.js';

/** express-session on top of the Store port, so sessions live where the rest of the data does. */
export class PortSessionStore extends session.Store {
  constructor(private readonly store: DataStore, private readonly fallbackTtlMs: number) {
    super();
  }

  override get(sid: string, cb: (err: unknown, session?: session.SessionData | null) => void): void {
    this.store.getSession(sid).then((rec) => {
      if (!rec) return cb(null, null);
      if (rec.expiresAt <= new Date().toISOString()) {
        return this.store.destroySession(sid).then(() => cb(null, null), cb);
      }
      cb(null, JSON.parse(rec.data) as session.SessionData);
    }, cb);
  }

  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    const expires = sess.cookie?.expires ? new Date(sess.cookie.expires) : new Date(Date.now() + this.fallbackTtlMs);
    this.store.setSession(sid, { data: JSON.stringify(sess), expiresAt: expires.toISOString() }).then(() => cb?.(), (e) => cb?.(e));
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.store.destroySession(sid).then(() => cb?.(), (e) => cb?.(e));
  }

  override touch(sid: string, sess: session.SessionData, cb?: () => void): void {
    this.set(sid, sess, () => cb?.());
  }
}
