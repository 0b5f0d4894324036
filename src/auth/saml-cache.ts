import type { CacheItem, CacheProvider } from '@node-saml/passport-saml';
import type { Clock, Store } from '../domain/ports.js';

/**
 * passport-saml's request cache (AuthnRequest / LogoutRequest ids for `InResponseTo`) kept in the
 * Store, so an answer is accepted on any instance and after a restart.
 *
 * The Store hands an id out once. node-saml reads the same id more than once while validating one
 * response, so the first read takes it from the Store and later reads in the same validation (one
 * instance of this class per request) see the taken copy. An id issued for another connection is
 * not known here. Expiry is the Store's: it keeps an id until `ttlMs` after it was issued.
 */
export class StoreRequestCache implements CacheProvider {
  private readonly taken = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly connectionId: string,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const now = this.clock.now();
    await this.store.putSsoRequest(key, this.connectionId, new Date(now.getTime() + this.ttlMs).toISOString());
    return { value, createdAt: now.getTime() };
  }

  async getAsync(key: string): Promise<string | null> {
    const held = this.taken.get(key);
    if (held !== undefined) return held;
    const now = this.clock.now();
    const request = await this.store.takeSsoRequest(key, now.toISOString());
    if (!request || request.connectionId !== this.connectionId) return null;
    // node-saml compares this "issued at" value with its own expiry period; the Store already
    // enforced the real expiry, so the moment it was taken is a value that always passes.
    const value = now.toISOString();
    this.taken.set(key, value);
    return value;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (key === null) return null;
    const value = this.taken.get(key) ?? null;
    this.taken.delete(key);
    return value;
  }
}
