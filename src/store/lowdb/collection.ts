import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';

/** One JSON file per collection, so a write rewrites only that collection. */
export async function openCollection<T extends object>(dir: string, name: string, defaults: T): Promise<Low<T>> {
  mkdirSync(dir, { recursive: true });
  // Not JSONFilePreset: it silently becomes in-memory under NODE_ENV=test, and the file matters.
  const db = new Low<T>(new JSONFile<T>(path.join(dir, `${name}.json`)), defaults);
  await db.read();
  return db;
}
