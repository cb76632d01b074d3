import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import type { WebAssets } from './app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB_ASSETS: WebAssets = { staticDir: path.join(root, 'src', 'web', 'static'), bundleDir: path.join(root, 'dist', 'web'), docsDir: path.join(root, 'docs') };
const entry = path.join(root, 'src', 'web', 'main.ts');

function newest(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => Math.max(n, e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs), 0);
}

/**
 * Bundles the dashboard (TypeScript + uPlot) into dist/web/app.js and app.css with esbuild. `npm ci`
 * builds it through `prepare`; the server rebuilds it on start when a source is newer (an edited
 * checkout), which takes well under a second.
 */
export async function buildWebBundle(force = false): Promise<void> {
  const out = path.join(WEB_ASSETS.bundleDir, 'app.js');
  if (!force && fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest(path.join(root, 'src', 'web'))) return;
  await esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', target: 'es2022', outfile: out, sourcemap: true, minify: true, logLevel: 'silent' });
}
