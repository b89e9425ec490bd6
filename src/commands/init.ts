/**
 * `writeback init [--force]`: sets a repository up to run Writeback (src/init/scaffold.ts says what it
 * writes). A file that exists is kept unless --force; .gitignore only gains the lines it lacks.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors/index.ts';
import { packageInfo, type PackageInfo } from '../init/package-files.ts';
import { scaffold } from '../init/scaffold.ts';
import type { CommandIO } from './io.ts';

type Outcome = 'wrote' | 'replaced' | 'kept' | 'extended' | 'unchanged';

/**
 * init runs in repositories someone else may have prepared: it writes only inside the repository, never
 * through a symbolic link (a linked .github/ or README.md would make it write, or with --force overwrite,
 * files elsewhere).
 */
function refuseLinksOut(root: string, path: string): void {
  const parts = relative(root, path).split(sep);
  for (let i = 1; i <= parts.length; i++) {
    const component = parts.slice(0, i).join(sep);
    if (lstatSync(join(root, component), { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new UsageError(`${component} is a symbolic link: init writes only real files and directories inside the repository, never through a link; nothing was written`);
    }
  }
}

function place(root: string, file: ReturnType<typeof scaffold>[number], force: boolean): { outcome: Outcome; detail?: string } {
  const path = join(root, file.path);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content, { flag: 'wx' });
    return { outcome: 'wrote' };
  }
  if (file.appendLines) {
    const text = readFileSync(path, 'utf8');
    const present = new Set(text.split(/\r?\n/).map((line) => line.trim()));
    const missing = file.appendLines.filter((line) => !present.has(line));
    if (!missing.length) return { outcome: 'unchanged' };
    writeFileSync(path, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`);
    return { outcome: 'extended', detail: missing.join(' ') };
  }
  if (readFileSync(path, 'utf8') === file.content) return { outcome: 'unchanged' };
  if (!force) return { outcome: 'kept' };
  writeFileSync(path, file.content);
  return { outcome: 'replaced' };
}

/** Hints for what init cannot do itself: a git repository, and the package installed and pinned. */
function setupNotes(root: string, pkg: PackageInfo): string[] {
  const notes: string[] = [];
  if (!existsSync(join(root, '.git'))) notes.push('this is not a git repository yet: run git init (the workflows commit state back to it)');
  const manifest = join(root, 'package.json');
  let listed: string | undefined;
  try {
    const json = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, Record<string, string> | undefined>) : {};
    listed = json.dependencies?.[pkg.name] ?? json.devDependencies?.[pkg.name];
  } catch {
    notes.push('package.json is not valid JSON: fix it, then npm install the package (the workflows run npm ci)');
    return notes;
  }
  if (listed?.startsWith('file:')) {
    const tarball = listed.slice('file:'.length);
    const inside = !relative(root, resolve(root, tarball)).startsWith('..');
    if (!inside) notes.push(`package.json installs ${pkg.name} from ${tarball}, outside this repository: npm ci on GitHub cannot find it; copy the tarball into the repository (say vendor/), commit it and npm install --save-exact ./vendor/<file>`);
  } else if (listed === undefined) notes.push(`package.json does not list ${pkg.name}: the workflows install it with npm ci, so run npm install --save-exact ${pkg.name}@${pkg.version}`);
  else if (/^[\^~]/.test(listed)) notes.push(`package.json accepts ${pkg.name}@${listed}: pin it (npm install --save-exact ${pkg.name}@${pkg.version}) so every run uses the version you reviewed`);
  return notes;
}

export function initCommand(io: CommandIO, options: { force: boolean }): number {
  const pkg = packageInfo();
  const kept: string[] = [];
  const files = scaffold(pkg);
  for (const file of files) refuseLinksOut(io.root, join(io.root, file.path)); // before writing anything
  for (const file of files) {
    const { outcome, detail } = place(io.root, file, options.force);
    if (outcome === 'kept') kept.push(file.path);
    io.out(`${outcome.padEnd(9)} ${file.path}${detail ? ` (added ${detail})` : outcome === 'kept' ? ' (exists and differs; --force replaces it)' : ''}`);
  }
  for (const note of setupNotes(io.root, pkg)) io.out(`note: ${note}`);
  io.out(
    kept.length
      ? `Kept ${kept.length} existing file${kept.length === 1 ? '' : 's'}. Next: fill in connectors/, then npx writeback validate.`
      : 'Next: fill in connectors/ (the examples are suspended), store their secrets, then npx writeback validate and commit.',
  );
  return 0;
}
