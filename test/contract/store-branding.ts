import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BrandLogo, Branding } from '../../src/domain/types.js';
import type { Ctx } from './store.js';
import { at } from './store.js';

const brand = (over: Partial<Branding> = {}): Branding => ({
  partnerId: 'north', displayName: 'North Partners', primaryColor: '#0b5cad', supportEmail: 'help@north.example',
  supportUrl: 'https://north.example/help', supportPhone: '+1 555 0100', senderName: 'North IT', replyTo: 'it@north.example',
  updatedAt: at(0), updatedBy: 'dana@north.example', ...over,
});

function logo(partnerId: string, bytes: Buffer): BrandLogo {
  return { partnerId, hash: createHash('sha256').update(bytes).digest('hex'), contentType: 'image/png', bytes, createdAt: at(0) };
}

export function brandingCases(ctx: Ctx): void {
  describe('branding', () => {
    it('keeps the partner record and a company override apart, and replaces each on save', async () => {
      await ctx.store.saveBranding(brand());
      await ctx.store.saveBranding(brand({ customerId: 'cus-n1', displayName: 'Émile IT', primaryColor: '#7a1f5c' }));
      expect(await ctx.store.getBranding('north')).toEqual(brand());
      expect((await ctx.store.getBranding('north', 'cus-n1'))?.displayName).toBe('Émile IT');
      expect(await ctx.store.getBranding('north', 'cus-n2')).toBeUndefined();

      await ctx.store.saveBranding(brand({ primaryColor: '#222222', updatedAt: at(5) }));
      expect((await ctx.store.getBranding('north'))?.primaryColor).toBe('#222222');
      expect((await ctx.store.listBrandings('north')).map((b) => b.customerId ?? '').sort()).toEqual(['', 'cus-n1']);

      await ctx.store.deleteBranding('north', 'cus-n1');
      expect(await ctx.store.getBranding('north', 'cus-n1')).toBeUndefined();
      expect(await ctx.store.getBranding('north')).toBeDefined();
    });

    it("never gives partner B's branding or logo through partner A", async () => {
      await ctx.store.saveBranding(brand({ partnerId: 'south', displayName: 'South' }));
      const l = logo('south', Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
      await ctx.store.saveBrandLogo(l);
      expect(await ctx.store.getBranding('north')).toBeUndefined();
      expect(await ctx.store.listBrandings('north')).toEqual([]);
      expect(await ctx.store.getBrandLogo('north', l.hash)).toBeUndefined();
      await ctx.store.deleteBranding('north');
      expect(await ctx.store.getBranding('south')).toBeDefined();
    });

    it('returns logo bytes exactly as saved, and saving the same logo twice keeps one', async () => {
      const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256));
      const l = logo('north', bytes);
      await ctx.store.saveBrandLogo(l);
      await ctx.store.saveBrandLogo({ ...l, createdAt: at(9) });
      const got = await ctx.store.getBrandLogo('north', l.hash);
      expect(got?.contentType).toBe('image/png');
      expect(got?.createdAt).toBe(at(0));
      expect(Buffer.compare(got!.bytes, bytes)).toBe(0);
    });

    it('survives a reopen (another instance, or a restart, sees it)', async () => {
      await ctx.store.saveBranding(brand());
      const other = await ctx.other();
      expect((await other.getBranding('north'))?.supportPhone).toBe('+1 555 0100');
    });
  });
}
