/** The state and report files a run commits, as git sees them: paths, contents and blob ids. */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FileChange {
  path: string;
  /** undefined: the file was deleted. */
  content?: Buffer;
}

export const STATE_DIRS = ['state', 'reports'];

/** The id git gives a file's content: GitHub's blob sha for the same bytes. */
export const gitBlobSha = (content: Buffer) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

/** Locks, their take-over markers and temp files never leave the runner. */
export const isLocalOnly = (path: string) => /\.lock(\.|$)/.test(path) || /\.tmp-\d+$/.test(path);

/** Files at or under `paths` (state/ and reports/) of the working tree, by path relative to `root`; links are not followed. */
export function localFiles(root: string, paths = STATE_DIRS): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const visit = (path: string) => {
    const full = join(root, path);
    if (!existsSync(full)) return;
    const stat = lstatSync(full);
    if (stat.isDirectory()) for (const entry of readdirSync(full)) visit(`${path}/${entry}`);
    else if (stat.isFile() && !isLocalOnly(path)) files.set(path, readFileSync(full));
  };
  for (const path of paths) visit(path);
  return files;
}
