import { peakRssMb, rssMb, spawnProduct, stopProduct, waitReady } from './product-process.js';

/** Starts the product as `npm start` would, on a prepared data folder; time to /readyz 200, RSS then and the most it had on the way. */
export async function coldStart(dataDir: string, port: number, smtpPort: number) {
  const started = performance.now();
  const { child, runtime } = spawnProduct(dataDir, port, smtpPort);
  try {
    await waitReady(port, child);
    const ms = Math.round(performance.now() - started);
    return { ms, rssMb: rssMb(child.pid!), peakRssMb: peakRssMb(child.pid!), runtime };
  } finally {
    await stopProduct(child);
  }
}
