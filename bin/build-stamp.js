// The build stamp: a hash of every file under src/ (and of bin/bundle.js), written into dist/ by `npm run
// build`. bin/writeback.js runs the build only when the stamp matches the sources beside it (an edited or
// newly checked-out tree runs the sources through tsx instead); an installed package ships no src/ and always runs its build. File
// contents decide, not file times, which git checkouts and npm tarballs do not keep.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
export const STAMP = join(root, 'dist', 'build-stamp.txt');
export const SOURCES = join(root, 'src');

/** The bundler's script shapes the build too: a changed one makes the build stale like a changed source. */
const BUNDLER = join(root, 'bin', 'bundle.js');

export function sourcesHash() {
  const hash = createHash('sha256');
  for (const file of readdirSync(SOURCES, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort()) {
    hash.update(`${file.slice(SOURCES.length)}\0`).update(readFileSync(file)).update('\0');
  }
  if (existsSync(BUNDLER)) hash.update('bin/bundle.js\0').update(readFileSync(BUNDLER)).update('\0');
  return hash.digest('hex');
}

/** True when dist/ was built from exactly these sources, or when there are no sources (an installed package). */
export function buildIsCurrent() {
  if (!existsSync(STAMP)) return false;
  if (!existsSync(SOURCES)) return true;
  return readFileSync(STAMP, 'utf8').trim() === sourcesHash();
}

if (process.argv[2] === '--write') writeFileSync(STAMP, `${sourcesHash()}\n`);
// A build starts by removing the stamp, so an interrupted build never leaves a stamp over newer output.
if (process.argv[2] === '--clear') rmSync(STAMP, { force: true });
