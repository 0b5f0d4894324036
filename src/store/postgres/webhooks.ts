import type { WebhookNext } from '../../domain/ports.js';
import type {
  ExpiryCursor, ResetRecord, WebhookAttempt, WebhookDelivery, WebhookSubscription,
} from '../../domain/types.js';
import type { Db } from './db.js';
import { RESET_COLUMNS, iso, resetFromRow, type ResetRow } from './rows.js';

const DELIVERY_COLUMNS = 'id, subscription_id, status, next_attempt_at, lease_until, created_at, data';

function deliveryParams(d: WebhookDelivery): unknown[] {
  return [d.id, d.subscriptionId, d.status, d.nextAttemptAt, d.leaseUntil ?? null, d.createdAt, JSON.stringify(d)];
}

/** Webhook subscriptions and their delivery outbox in PostgreSQL, shared by every instance. */
export class PgWebhooks {
  constructor(private readonly db: Db) {}

  async saveWebhook(subscription: WebhookSubscription): Promise<void> {
    await this.db.query('INSERT INTO webhook_subscriptions (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data',
      [subscription.id, JSON.stringify(subscription)]);
  }

  async getWebhook(id: string): Promise<WebhookSubscription | undefined> {
    return (await this.db.query<{ data: WebhookSubscription }>('SELECT data FROM webhook_subscriptions WHERE id = $1', [id]))[0]?.data;
  }

  async listWebhooks(): Promise<WebhookSubscription[]> {
    const rows = await this.db.query<{ data: WebhookSubscription }>("SELECT data FROM webhook_subscriptions ORDER BY data->>'createdAt', id");
    return rows.map((r) => r.data);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    // Its deliveries go with it (ON DELETE CASCADE).
    return (await this.db.query('DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  async enqueueWebhookDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    if (!deliveries.length) return;
    await this.db.tx(async (client) => {
      for (const d of deliveries) {
        await client.query(`INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, deliveryParams(d));
      }
    });
  }

  claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]> {
    return this.db.tx(async (client) => {
      // SKIP LOCKED: another instance's worker passes over the rows this one is claiming instead of
      // waiting for them; the lease then keeps them from being claimed again while they are posted.
      const rows = (await client.query<{ data: WebhookDelivery }>(`SELECT data FROM webhook_deliveries
        WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'delivering' AND lease_until <= $1)
        ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, limit])).rows;
      const claimed: WebhookDelivery[] = [];
      for (const { data } of rows) {
        const next: WebhookDelivery = { ...data, status: 'delivering', leaseUntil, attempts: data.attempts + 1 };
        await client.query('UPDATE webhook_deliveries SET status = $2, lease_until = $3, data = $4 WHERE id = $1',
          [next.id, next.status, leaseUntil, JSON.stringify(next)]);
        claimed.push(next);
      }
      return claimed;
    });
  }

  async finishWebhookDelivery(id: string, attempt: WebhookAttempt, next: WebhookNext): Promise<void> {
    await this.db.tx(async (client) => {
      const row = (await client.query<{ data: WebhookDelivery }>('SELECT data FROM webhook_deliveries WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!row) return;
      const { leaseUntil: _lease, ...rest } = row.data;
      const done: WebhookDelivery = {
        ...rest, status: next.status, log: [...row.data.log, attempt],
        ...(next.status === 'pending' ? { nextAttemptAt: next.nextAttemptAt } : { doneAt: attempt.at }),
      };
      await client.query('UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, lease_until = NULL, data = $4 WHERE id = $1',
        [id, done.status, done.nextAttemptAt, JSON.stringify(done)]);
    });
  }

  async getWebhookDelivery(subscriptionId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    return (await this.db.query<{ data: WebhookDelivery }>('SELECT data FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2',
      [deliveryId, subscriptionId]))[0]?.data;
  }

  async listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db.query<{ data: WebhookDelivery }>(`SELECT data FROM webhook_deliveries WHERE subscription_id = $1
      ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2`, [subscriptionId, limit]);
    return rows.map((r) => r.data);
  }

  async deleteSettledWebhookDeliveries(before: string): Promise<number> {
    const rows = await this.db.query("DELETE FROM webhook_deliveries WHERE created_at < $1 AND status IN ('delivered', 'failed') RETURNING id", [before]);
    return rows.length;
  }

  async listLapsedResets(after: ExpiryCursor | undefined, until: string, limit: number): Promise<ResetRecord[]> {
    const rows = await this.db.query<ResetRow>(`SELECT ${RESET_COLUMNS} FROM resets
      WHERE consumed_at IS NULL AND (revoked_at IS NULL OR revoked_at >= expires_at) AND expires_at <= $1
        AND ($2::timestamptz IS NULL OR (expires_at, id COLLATE "C") > ($2::timestamptz, $3::text COLLATE "C"))
      ORDER BY expires_at, id COLLATE "C" LIMIT $4`, [until, after?.expiresAt ?? null, after?.resetId ?? '', limit]);
    return rows.map(resetFromRow);
  }

  async getExpiryCursor(): Promise<ExpiryCursor | undefined> {
    const row = (await this.db.query<{ expires_at: Date; reset_id: string }>('SELECT expires_at, reset_id FROM webhook_expiry_cursor'))[0];
    return row && { expiresAt: iso(row.expires_at), resetId: row.reset_id };
  }

  async moveExpiryCursor(from: ExpiryCursor | undefined, to: ExpiryCursor): Promise<boolean> {
    // A compare-and-set in one statement: of two instances sweeping at once, one moves it.
    const rows = from
      ? await this.db.query(`UPDATE webhook_expiry_cursor SET expires_at = $3, reset_id = $4
          WHERE expires_at = $1 AND reset_id = $2 RETURNING reset_id`, [from.expiresAt, from.resetId, to.expiresAt, to.resetId])
      : await this.db.query(`INSERT INTO webhook_expiry_cursor (expires_at, reset_id) VALUES ($1, $2)
          ON CONFLICT (only_row) DO NOTHING RETURNING reset_id`, [to.expiresAt, to.resetId]);
    return rows.length > 0;
  }
}
