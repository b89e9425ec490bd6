/**
 * Reading definition files as a pull request may have shaped them: only regular files inside the
 * repository (a symlink is followed only when it stays inside), never a device or a FIFO (a link to
 * /dev/zero read forever, a FIFO blocks), and never more than the size limit, counted while reading.
 */
import { closeSync, constants, existsSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

/** Definitions are small; anything bigger is a mistake (or an attack) and is refused. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

export type DefinitionFile = { bytes: Buffer } | { problem: string };

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The file's bytes, or why it is not read (a sentence that names what to do). */
export function readDefinitionFile(path: string, root: string): DefinitionFile {
  let target = path;
  try {
    const link = lstatSync(path).isSymbolicLink();
    target = realpathSync(path); // also through a connectors/ that is itself a link
    const stat = statSync(target);
    if (!stat.isFile()) return { problem: `is ${kindOf(stat)}${link ? ` (through a link to ${target})` : ''}, not a file: a definition is a YAML file; remove it from connectors/` };
    if (!inside(realpathSync(root), target)) {
      return { problem: `${link ? 'is a link to' : 'lies at'} ${target}, outside the repository: definitions must be files inside it; ${link ? 'replace the link with the file' : 'connectors/ must be a folder of the repository, not a link out of it'}` };
    }
    if (stat.size > MAX_DEFINITION_BYTES) return { problem: tooBig(`${(stat.size / 1024 / 1024).toFixed(1)} MB`) };
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the file and its link` };
  }
  // The limit is enforced while reading too: a file can grow after its size was looked at.
  const fd = openSync(target, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(MAX_DEFINITION_BYTES + 1);
    let length = 0;
    for (let read; length < buffer.length && (read = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += read;
    if (length > MAX_DEFINITION_BYTES) return { problem: tooBig('over 1 MB') };
    return { bytes: buffer.subarray(0, length) };
  } finally {
    closeSync(fd);
  }
}

function tooBig(size: string): string {
  return `file is ${size}; a definition may be at most 1 MB. Keep data out of definitions: one small YAML file per job.`;
}

export const CONNECTORS_DIR = 'connectors';
const DEFINITION_FILE = /\.ya?ml$/;

/**
 * How a file is named in messages: relative to the repository root (as GitHub annotations expect),
 * else to the working directory, else absolute.
 */
export function displayPath(path: string, root = process.cwd()): string {
  for (const base of [root, process.cwd()]) {
    const rel = relative(base, path);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return visible(rel.split(sep).join('/'));
  }
  return visible(path);
}

/** Control characters written out (a line break as \n): a file name must not be able to start a new line of output. */
const visible = (text: string) => text.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));

/** Whether a directory entry exists, links that lead nowhere included (their error is clearer than "not found"). */
export function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The definition files of a repository, sorted for stable output. */
export function listDefinitionFiles(root: string): string[] {
  const dir = join(root, CONNECTORS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => DEFINITION_FILE.test(f))
    .sort()
    .map((f) => join(dir, f));
}
