/**
 * `writeback init [--force]`: sets a repository up to run Writeback (src/init/scaffold.ts says what it
 * writes). A file that exists is kept unless --force; .gitignore only gains the lines it lacks.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageInfo, scaffold, type PackageInfo } from '../init/scaffold.ts';
import type { CommandIO } from './io.ts';

type Outcome = 'wrote' | 'replaced' | 'kept' | 'extended' | 'unchanged';

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
  const listed = existsSync(manifest)
    ? (() => {
        const json = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, Record<string, string> | undefined>;
        return json.dependencies?.[pkg.name] ?? json.devDependencies?.[pkg.name];
      })()
    : undefined;
  if (listed === undefined) notes.push(`package.json does not list ${pkg.name}: the workflows install it with npm ci, so run npm install --save-exact ${pkg.name}@${pkg.version}`);
  else if (/^[\^~]/.test(listed)) notes.push(`package.json accepts ${pkg.name}@${listed}: pin it (npm install --save-exact ${pkg.name}@${pkg.version}) so every run uses the version you reviewed`);
  return notes;
}

export function initCommand(io: CommandIO, options: { force: boolean }): number {
  const pkg = packageInfo();
  const kept: string[] = [];
  for (const file of scaffold(pkg)) {
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
