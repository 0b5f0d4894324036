import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PortSessionStore } from '../../src/auth/session-store.js';
import type { AdminRecord } from '../../src/domain/ports.js';
import type { Ctx } from './store.js';
import { at } from './store.js';

const admin = (over: Partial<AdminRecord> = {}): AdminRecord => ({
  partnerId: 'north', connectionId: 'north-oidc', sub: 'sub-1', email: 'ann@north.example', name: 'Ann',
  roles: ['partner-admin'], lastSignInAt: at(0), ...over,
});

/** express-session's callback API, awaited. */
const sessionGet = (s: PortSessionStore, sid: string) =>
  new Promise<unknown>((resolve, reject) => s.get(sid, (err, data) => (err ? reject(err) : resolve(data))));

export function sessionCases(ctx: Ctx): void {
  describe('SSO caches and admins', () => {
    it('gives an SSO request back once, and not after it expired', async () => {
      await ctx.store.putSsoRequest('req-1', 'north-saml', at(10));
      expect(await ctx.store.takeSsoRequest('req-1', at(1))).toEqual({ connectionId: 'north-saml' });
      expect(await ctx.store.takeSsoRequest('req-1', at(1))).toBeUndefined();
      await ctx.store.putSsoRequest('req-2', 'north-saml', at(10));
      expect(await ctx.store.takeSsoRequest('req-2', at(10))).toBeUndefined();
      expect(await ctx.store.takeSsoRequest('never-made', at(1))).toBeUndefined();
    });

    it('gives an SSO request to only one of two instances taking it at once', async () => {
      const other = await ctx.other();
      const ids = Array.from({ length: 10 }, () => randomUUID());
      for (const id of ids) await ctx.store.putSsoRequest(id, 'north-saml', at(10));
      const taken = await Promise.all(ids.flatMap((id) => [ctx.store.takeSsoRequest(id, at(1)), other.takeSsoRequest(id, at(1))]));
      expect(taken.filter(Boolean)).toHaveLength(ids.length);
    });

    it('reports an assertion id as new once, as a replay while remembered, and as new after it expired', async () => {
      expect(await ctx.store.markAssertionSeen('a-1', at(10), at(1))).toBe(true);
      expect(await ctx.store.markAssertionSeen('a-1', at(10), at(2))).toBe(false);
      expect(await ctx.store.markAssertionSeen('a-1', at(20), at(10))).toBe(true);
    });

    it('lets only one of two instances seeing the same assertion at once accept it', async () => {
      const other = await ctx.other();
      const ids = Array.from({ length: 10 }, () => randomUUID());
      const firsts = await Promise.all(ids.flatMap((id) => [ctx.store.markAssertionSeen(id, at(10), at(1)), other.markAssertionSeen(id, at(10), at(1))]));
      expect(firsts.filter(Boolean)).toHaveLength(ids.length);
    });

    it("keeps one record per admin, refreshed at sign-in, and lists only the partner's admins", async () => {
      await ctx.store.upsertAdmin(admin());
      await ctx.store.upsertAdmin(admin({ name: 'Ann Renamed', lastSignInAt: at(5) }));
      await ctx.store.upsertAdmin(admin({ partnerId: 'south', connectionId: 'south-oidc', email: 'sam@south.example' }));
      expect(await ctx.store.listAdmins('north')).toEqual([admin({ name: 'Ann Renamed', lastSignInAt: at(5) })]);
      expect((await ctx.store.listAdmins('south')).map((a) => a.email)).toEqual(['sam@south.example']);
      expect(await ctx.store.listAdmins('nobody')).toEqual([]);
    });
  });

  describe('sessions', () => {
    it('stores, replaces and destroys a session', async () => {
      await ctx.store.setSession('sid-1', { data: '{"n":1}', expiresAt: '2099-01-01T00:00:00.000Z' });
      await ctx.store.setSession('sid-1', { data: '{"n":2}', expiresAt: '2099-01-02T00:00:00.000Z' });
      expect(await ctx.store.getSession('sid-1')).toEqual({ data: '{"n":2}', expiresAt: '2099-01-02T00:00:00.000Z' });
      await ctx.store.destroySession('sid-1');
      expect(await ctx.store.getSession('sid-1')).toBeUndefined();
      expect(await ctx.store.getSession('never-made')).toBeUndefined();
    });

    it('shows a session written by one instance to the other', async () => {
      const other = await ctx.other();
      await ctx.store.setSession('sid-2', { data: '{"user":"ann"}', expiresAt: '2099-01-01T00:00:00.000Z' });
      expect(await other.getSession('sid-2')).toEqual({ data: '{"user":"ann"}', expiresAt: '2099-01-01T00:00:00.000Z' });
    });

    it('treats an expired session as gone and removes it', async () => {
      const sessions = new PortSessionStore(ctx.store, 60_000);
      await ctx.store.setSession('old', { data: JSON.stringify({ cookie: {}, user: 'ann' }), expiresAt: '2001-01-01T00:00:00.000Z' });
      await ctx.store.setSession('live', { data: JSON.stringify({ cookie: {}, user: 'bob' }), expiresAt: '2099-01-01T00:00:00.000Z' });
      expect(await sessionGet(sessions, 'old')).toBeNull();
      expect(await ctx.store.getSession('old')).toBeUndefined();
      expect(await sessionGet(sessions, 'live')).toMatchObject({ user: 'bob' });
    });
  });
}
