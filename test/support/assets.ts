// vitest global setup: the browser bundles the hosted pages load (npm test builds them too, but a
// single file run with `npx vitest run <file>` must not find them missing).
import { buildAssets } from '../../scripts/build-assets.js';

export default async function setup(): Promise<void> {
  await buildAssets();
}
