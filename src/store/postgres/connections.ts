import type { StoredConnection } from '../../domain/types.js';
import type { Db } from './db.js';

/** SSO connections made in the console, shared by every instance (each looks them up per request). */
export class PgConnections {
  constructor(private readonly db: Db) {}

  async saveConnection(connection: StoredConnection): Promise<void> {
    await this.db.query(`INSERT INTO sso_connections (id, partner_id, data) VALUES ($1, $2, $3)
      ON CONFLICT (id) DO UPDATE SET partner_id = EXCLUDED.partner_id, data = EXCLUDED.data`,
    [connection.id, connection.partnerId, JSON.stringify(connection)]);
  }

  async getConnection(id: string): Promise<StoredConnection | undefined> {
    return (await this.db.query<{ data: StoredConnection }>('SELECT data FROM sso_connections WHERE id = $1', [id]))[0]?.data;
  }

  async listConnections(partnerId?: string): Promise<StoredConnection[]> {
    const rows = partnerId
      ? await this.db.query<{ data: StoredConnection }>('SELECT data FROM sso_connections WHERE partner_id = $1 ORDER BY id COLLATE "C"', [partnerId])
      : await this.db.query<{ data: StoredConnection }>('SELECT data FROM sso_connections ORDER BY id COLLATE "C"');
    return rows.map((r) => r.data);
  }

  async deleteConnection(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM sso_connections WHERE id = $1 RETURNING id', [id])).length > 0;
  }
}
