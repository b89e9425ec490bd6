// Run by `npm run build` after tsc: bundles the command line and its two worker threads into dist/bundle/,
// which bin/writeback.js runs, so a command loads about 20 files instead of about 300 modules (ours, yaml,
// commander). README, "Development", has the figures. dist/'s modules stay as tsc writes them, for the
// package's exports.
//
// Only yaml and commander are bundled: they have no dependencies of their own and package.json pins them
// exactly, so the bundle runs what node_modules holds. Every other dependency (Octokit and its tree, ajv,
// undici, ...) loads from node_modules, where a team's `npm audit fix` or `overrides` reach it.
//
// Bundled code finds its files as the modules do: dist/bundle/ lies two folders below the package root, as
// dist/init/ and dist/definitions/ do (PACKAGE_ROOT, schemas/, connectors/), workers are found beside the
// code that starts them (siblingModule), and the precompiled schema validator beside its loader.
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const BUNDLED = new Set(['yaml', 'commander']);
const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(dependencies).filter((name) => !BUNDLED.has(name)).flatMap((name) => [name, `${name}/*`]);
rmSync(`${dist}bundle`, { recursive: true, force: true }); // chunks are named by content: old ones would pile up

await build({
  entryPoints: ['cli.js', 'destinations/emarsys/sales-batch-worker.js', 'destinations/dotdigital/contact-batch-worker.js'].map((file) => dist + file),
  outdir: `${dist}bundle`,
  entryNames: '[name]', // the workers beside the code that starts them
  bundle: true,
  splitting: true, // commands loaded on demand stay apart, and the workers share the formatters' chunks
  format: 'esm',
  platform: 'node',
  target: 'node20.18',
  external,
  // CommonJS dependencies bundled into ES modules call require(): give them Node's.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
copyFileSync(`${dist}definitions/writeback-schema-validator.cjs`, `${dist}bundle/writeback-schema-validator.cjs`);
