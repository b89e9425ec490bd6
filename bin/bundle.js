// Run by `npm run build` after tsc: bundles the command line and its two worker threads into dist/bundle/,
// which bin/writeback.js runs. Loading one file per entry instead of about 300 modules (ours, yaml, ajv,
// commander, Octokit) halves what a command costs beyond Node's own start: measured on 2 processors,
// `writeback validate` takes 0.26 s instead of 0.42 s (bare Node 0.11 s), a window read through the query
// API 1.03 s instead of 1.19 s. dist/'s modules stay as tsc writes them for the package's exports.
//
// Bundled code finds its files as the modules do: dist/bundle/ lies two folders below the package root, as
// dist/init/ and dist/definitions/ do (PACKAGE_ROOT, schemas/, connectors/), workers are found beside the
// code that starts them (siblingModule), and the precompiled schema validator beside its loader.
import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
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
  external: ['undici'], // from node_modules, as http/client.ts loads its parts: one copy of it
  // CommonJS dependencies bundled into ES modules call require(): give them Node's.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
copyFileSync(`${dist}definitions/writeback-schema-validator.cjs`, `${dist}bundle/writeback-schema-validator.cjs`);
