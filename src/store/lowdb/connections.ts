import type { Low } from 'lowdb';
import type { StoredConnection } from '../../domain/types.js';
import { closeCollection, openCollection } from './collection.js';

interface Connections { connections: StoredConnection[] }

/** SSO connections made in the console, in a file of their own. */
export class LowdbConnections {
  private db: Low<Connections> | undefined;

  async open(dir: string): Promise<void> {
    this.db = await openCollection<Connections>(dir, 'connections', { connections: [] });
  }

  async close(): Promise<void> {
    if (this.db) await closeCollection(this.db);
  }

  private get d(): Low<Connections> {
    if (!this.db) throw new Error('the connections collection is not open');
    return this.db;
  }

  async saveConnection(connection: StoredConnection): Promise<void> {
    const list = this.d.data.connections;
    const i = list.findIndex((x) => x.id === connection.id);
    if (i === -1) list.push(structuredClone(connection));
    else list[i] = structuredClone(connection);
    await this.d.write();
  }

  async getConnection(id: string): Promise<StoredConnection | undefined> {
    const found = this.d.data.connections.find((x) => x.id === id);
    return found && structuredClone(found);
  }

  async listConnections(partnerId?: string): Promise<StoredConnection[]> {
    return this.d.data.connections.filter((x) => !partnerId || x.partnerId === partnerId)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => structuredClone(x));
  }

  async deleteConnection(id: string): Promise<boolean> {
    const list = this.d.data.connections;
    const i = list.findIndex((x) => x.id === id);
    if (i === -1) return false;
    list.splice(i, 1);
    await this.d.write();
    return true;
  }
}
