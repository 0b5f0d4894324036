import type { Low } from 'lowdb';
import type { ApiClient, IdempotencyRecord } from '../../domain/types.js';
import { closeCollection, openCollection } from './collection.js';

interface Clients { clients: ApiClient[] }
interface Keys { keys: Record<string, IdempotencyRecord> }

const slot = (scope: string, key: string) => `${scope}\n${key}`;

/** API clients and idempotency keys of the embedded store, each in a file of its own. */
export class LowdbApi {
  private clients: Low<Clients> | undefined;
  private keys: Low<Keys> | undefined;

  async open(dir: string): Promise<void> {
    this.clients = await openCollection<Clients>(dir, 'api-clients', { clients: [] });
    this.keys = await openCollection<Keys>(dir, 'idempotency', { keys: {} });
  }

  private get c(): Low<Clients> {
    if (!this.clients) throw new Error('the API collections are not open');
    return this.clients;
  }

  private get k(): Low<Keys> {
    if (!this.keys) throw new Error('the API collections are not open');
    return this.keys;
  }

  async saveApiClient(client: ApiClient): Promise<void> {
    const list = this.c.data.clients;
    const i = list.findIndex((x) => x.id === client.id);
    if (i === -1) list.push({ ...client });
    else list[i] = { ...client };
    await this.c.write();
  }

  async getApiClient(id: string): Promise<ApiClient | undefined> {
    const found = this.c.data.clients.find((x) => x.id === id);
    return found && { ...found };
  }

  async listApiClients(): Promise<ApiClient[]> {
    return this.c.data.clients.map((x) => ({ ...x }));
  }

  async touchApiClient(id: string, at: string): Promise<void> {
    const found = this.c.data.clients.find((x) => x.id === id);
    if (!found) return;
    found.lastUsedAt = at;
    await this.c.write();
  }

  async reserveIdempotencyKey(record: IdempotencyRecord, now: string): Promise<IdempotencyRecord | undefined> {
    const keys = this.k.data.keys;
    const existing = keys[slot(record.scope, record.key)];
    if (existing && existing.expiresAt > now) return structuredClone(existing);
    // Checked and taken without an await in between: atomic in this one process.
    for (const [k, v] of Object.entries(keys)) if (v.expiresAt <= now) delete keys[k];
    keys[slot(record.scope, record.key)] = { ...record };
    await this.k.write();
    return undefined;
  }

  async finishIdempotencyKey(scope: string, key: string, response: { status: number; body: string }): Promise<void> {
    const found = this.k.data.keys[slot(scope, key)];
    if (!found) return;
    found.response = { ...response };
    await this.k.write();
  }

  async releaseIdempotencyKey(scope: string, key: string): Promise<void> {
    delete this.k.data.keys[slot(scope, key)];
    await this.k.write();
  }
  async close(): Promise<void> {
    await Promise.all([closeCollection(this.clients), closeCollection(this.keys)]);
  }
}
