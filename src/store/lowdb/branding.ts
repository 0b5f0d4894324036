import type { Low } from 'lowdb';
import type { BrandLogo, Branding, LogoType } from '../../domain/types.js';
import { closeCollection, openCollection } from './collection.js';

// Keyed maps, so the journal writes only the record that changed.
interface Brandings { brandings: Record<string, Branding> }
/** JSON cannot hold bytes: logos are kept as base64 text. */
interface StoredLogo { partnerId: string; hash: string; contentType: LogoType; data: string; createdAt: string }
interface Logos { logos: Record<string, StoredLogo> }

const slot = (partnerId: string, customerId?: string) => `${partnerId}\n${customerId ?? ''}`;

/** Branding records and logo bytes of the embedded store, each in a file of its own. */
export class LowdbBranding {
  private brandings: Low<Brandings> | undefined;
  private logos: Low<Logos> | undefined;

  async open(dir: string): Promise<void> {
    this.brandings = await openCollection<Brandings>(dir, 'branding', { brandings: {} });
    this.logos = await openCollection<Logos>(dir, 'brand-logos', { logos: {} });
  }

  async close(): Promise<void> {
    await Promise.all([closeCollection(this.brandings), closeCollection(this.logos)]);
  }

  private get b(): Low<Brandings> {
    if (!this.brandings) throw new Error('the branding collections are not open');
    return this.brandings;
  }

  private get l(): Low<Logos> {
    if (!this.logos) throw new Error('the branding collections are not open');
    return this.logos;
  }

  async getBranding(partnerId: string, customerId?: string): Promise<Branding | undefined> {
    const found = this.b.data.brandings[slot(partnerId, customerId)];
    return found && { ...found };
  }

  async listBrandings(partnerId: string): Promise<Branding[]> {
    return Object.values(this.b.data.brandings).filter((x) => x.partnerId === partnerId).map((x) => ({ ...x }));
  }

  async saveBranding(branding: Branding): Promise<void> {
    this.b.data.brandings[slot(branding.partnerId, branding.customerId)] = { ...branding };
    await this.b.write();
  }

  async deleteBranding(partnerId: string, customerId?: string): Promise<void> {
    if (!this.b.data.brandings[slot(partnerId, customerId)]) return;
    delete this.b.data.brandings[slot(partnerId, customerId)];
    await this.b.write();
  }

  async saveBrandLogo(logo: BrandLogo): Promise<void> {
    const key = slot(logo.partnerId, logo.hash);
    if (this.l.data.logos[key]) return;
    this.l.data.logos[key] = { partnerId: logo.partnerId, hash: logo.hash, contentType: logo.contentType, data: logo.bytes.toString('base64'), createdAt: logo.createdAt };
    await this.l.write();
  }

  async getBrandLogo(partnerId: string, hash: string): Promise<BrandLogo | undefined> {
    const found = this.l.data.logos[slot(partnerId, hash)];
    return found && { partnerId: found.partnerId, hash: found.hash, contentType: found.contentType, bytes: Buffer.from(found.data, 'base64'), createdAt: found.createdAt };
  }
}
