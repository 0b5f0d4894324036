// Builds the browser bundles served from /assets: `npm run build:assets` (run by build, start and test).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const strengthBundle = path.join(root, 'views', 'static', 'vendor', 'strength.js');
const entry = path.join(root, 'assets-src', 'strength.ts');

/** Builds the strength-meter bundle unless it is newer than its source. */
export async function buildAssets(opts: { force?: boolean } = {}): Promise<void> {
  if (!opts.force && existsSync(strengthBundle) && statSync(strengthBundle).mtimeMs >= statSync(entry).mtimeMs) return;
  await build({
    entryPoints: [entry], outfile: strengthBundle, bundle: true, format: 'esm', minify: true,
    target: ['es2020'], platform: 'browser', legalComments: 'linked', logLevel: 'warning',
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildAssets({ force: process.argv.includes('--force') });
}
