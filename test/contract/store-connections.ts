import { describe, expect, it } from 'vitest';
import type { StoredConnection } from '../../src/domain/types.js';
import { at, type Ctx } from './store.js';

const roles = { 'partner-admin': ['admins'], 'idp-admin': ['idp-admins'] };

function oidc(id: string, partnerId = 'north', over: Partial<StoredConnection> = {}): StoredConnection {
  return {
    id, partnerId, displayName: `${id} sign-in`, createdAt: at(0), createdBy: 'dana@north.example', updatedAt: at(0), updatedBy: 'dana@north.example',
    settings: {
      type: 'oidc', issuer: 'https://idp.north.example', clientId: 'rb', clientSecretSealed: 'v1.k1.sealed',
      tokenEndpointAuth: 'client_secret_basic', scope: 'openid email', roleClaim: 'groups', roles,
    },
    ...over,
  };
}

const saml = (id: string, partnerId = 'south'): StoredConnection => ({
  ...oidc(id, partnerId),
  settings: {
    type: 'saml', metadataXml: '<md:EntityDescriptor/>', idp: { entityId: 'https://idp.south.example', ssoUrl: 'https://idp.south.example/sso', certs: ['MIIB', 'MIIC'] },
    signAuthnRequests: false, wantResponseSigned: true, wantAssertionsSigned: true, allowIdpInitiated: false, clockSkewSeconds: 90, roleAttribute: 'memberOf', roles,
  },
});

export function connectionCases(ctx: Ctx): void {
  describe('SSO connections made in the console', () => {
    it('gives a saved connection back with every field intact, and nothing for an unknown id', async () => {
      await ctx.store.saveConnection(oidc('north-oidc'));
      await ctx.store.saveConnection(saml('south-saml'));
      expect(await ctx.store.getConnection('north-oidc')).toEqual(oidc('north-oidc'));
      expect(await ctx.store.getConnection('south-saml')).toEqual(saml('south-saml'));
      expect(await ctx.store.getConnection('nobody')).toBeUndefined();
    });

    it('replaces a connection saved again under its id instead of adding a copy', async () => {
      await ctx.store.saveConnection(oidc('north-oidc'));
      await ctx.store.saveConnection(oidc('north-oidc', 'north', { displayName: 'Renamed', disabled: true, updatedAt: at(5) }));
      const all = await ctx.store.listConnections();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ displayName: 'Renamed', disabled: true, updatedAt: at(5) });
    });

    it("lists every connection in id order, or only one partner's", async () => {
      await ctx.store.saveConnection(saml('south-saml'));
      await ctx.store.saveConnection(oidc('north-b'));
      await ctx.store.saveConnection(oidc('north-a'));
      expect((await ctx.store.listConnections()).map((c) => c.id)).toEqual(['north-a', 'north-b', 'south-saml']);
      expect((await ctx.store.listConnections('north')).map((c) => c.id)).toEqual(['north-a', 'north-b']);
      expect((await ctx.store.listConnections('south')).map((c) => c.id)).toEqual(['south-saml']);
      expect(await ctx.store.listConnections('nobody')).toEqual([]);
    });

    it('deletes a connection once: it is gone for every reader, a second delete says there was none', async () => {
      await ctx.store.saveConnection(oidc('north-oidc'));
      const other = await ctx.other();
      expect(await other.getConnection('north-oidc')).toBeDefined();
      expect(await ctx.store.deleteConnection('north-oidc')).toBe(true);
      expect(await other.getConnection('north-oidc')).toBeUndefined();
      expect(await ctx.store.deleteConnection('north-oidc')).toBe(false);
    });

    it('does not hand out its own copy: changing a returned record changes nothing stored', async () => {
      await ctx.store.saveConnection(oidc('north-oidc'));
      const got = (await ctx.store.getConnection('north-oidc'))!;
      got.displayName = 'changed in memory';
      expect((await ctx.store.getConnection('north-oidc'))!.displayName).toBe('north-oidc sign-in');
    });
  });
}
