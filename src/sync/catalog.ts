import type { DirectoryCatalog, DirectoryStatus } from '../domain/ports.js';
import type { DirectoryRegistry } from './registry.js';

/** The registry seen from the IdP admin's console: redacted config, capabilities, last probe. */
export function createDirectoryCatalog(registry: DirectoryRegistry, clock: { now(): Date }): DirectoryCatalog {
  const lastTests = new Map<string, { ok: boolean; message: string; at: string }>();
  const status = (id: string): DirectoryStatus | undefined => {
    const entry = registry.get(id);
    if (!entry) return undefined;
    const lastTest = lastTests.get(id);
    return {
      id, plugin: entry.plugin, config: registry.redactedConfig(id),
      capabilities: { ...entry.adapter.capabilities },
      ...(lastTest ? { lastTest } : {}),
    };
  };
  return {
    list: () => registry.list().map((e) => status(e.id)!),
    get: status,
    async test(id) {
      const entry = registry.get(id);
      if (!entry) throw new Error(`unknown directory instance ${id}`);
      let result: { ok: boolean; message: string };
      try {
        result = await entry.adapter.testConnection();
      } catch (e) {
        result = { ok: false, message: `The test did not finish: ${(e as Error).message.slice(0, 200)}` };
      }
      const at = clock.now().toISOString();
      lastTests.set(id, { ...result, at });
      return { ...result, at };
    },
  };
}
