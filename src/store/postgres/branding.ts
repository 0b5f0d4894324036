import type { BrandLogo, Branding, LogoType } from '../../domain/types.js';
import type { Db } from './db.js';
import { iso } from './rows.js';

interface LogoRow { partner_id: string; hash: string; content_type: LogoType; bytes: Buffer; created_at: Date }

// A partner's own record has customer_id '' so (partner_id, customer_id) can be the primary key.
const slot = (customerId?: string) => customerId ?? '';

/** Branding records and logo bytes (bytea) in PostgreSQL, shared by every instance. */
export class PgBranding {
  constructor(private readonly db: Db) {}

  async getBranding(partnerId: string, customerId?: string): Promise<Branding | undefined> {
    return (await this.db.query<{ data: Branding }>('SELECT data FROM branding WHERE partner_id = $1 AND customer_id = $2', [partnerId, slot(customerId)]))[0]?.data;
  }

  async listBrandings(partnerId: string): Promise<Branding[]> {
    return (await this.db.query<{ data: Branding }>('SELECT data FROM branding WHERE partner_id = $1 ORDER BY customer_id', [partnerId])).map((r) => r.data);
  }

  async saveBranding(branding: Branding): Promise<void> {
    await this.db.query(`INSERT INTO branding (partner_id, customer_id, data) VALUES ($1, $2, $3)
      ON CONFLICT (partner_id, customer_id) DO UPDATE SET data = EXCLUDED.data`,
    [branding.partnerId, slot(branding.customerId), JSON.stringify(branding)]);
  }

  async deleteBranding(partnerId: string, customerId?: string): Promise<void> {
    await this.db.query('DELETE FROM branding WHERE partner_id = $1 AND customer_id = $2', [partnerId, slot(customerId)]);
  }

  async saveBrandLogo(logo: BrandLogo): Promise<void> {
    await this.db.query(`INSERT INTO brand_logos (partner_id, hash, content_type, bytes, created_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (partner_id, hash) DO NOTHING`, [logo.partnerId, logo.hash, logo.contentType, logo.bytes, logo.createdAt]);
  }

  async getBrandLogo(partnerId: string, hash: string): Promise<BrandLogo | undefined> {
    const r = (await this.db.query<LogoRow>('SELECT * FROM brand_logos WHERE partner_id = $1 AND hash = $2', [partnerId, hash]))[0];
    return r && { partnerId: r.partner_id, hash: r.hash, contentType: r.content_type, bytes: r.bytes, createdAt: iso(r.created_at) };
  }
}
