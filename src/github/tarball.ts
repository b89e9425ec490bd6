/**
 * Reads the files of a branch from the tarball GitHub serves for a commit (`git archive` output, gzipped):
 * one request for a whole state branch, where the Git Data API costs one request per file and a workflow
 * token has 1,000 an hour. Only regular files whose path lies under one of `dirs` are kept; links, folders,
 * `..` and absolute paths are skipped, so a crafted branch cannot write outside them.
 * Format: POSIX ustar with pax extended headers (`x`, per file; `g`, global, which git archive uses for the
 * commit id) and GNU long names (`L`), as `git archive` and GNU tar write them.
 */
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

const text = (block: Buffer, from: number, length: number) => {
  const field = block.subarray(from, from + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
};
const octal = (block: Buffer, from: number, length: number) => parseInt(text(block, from, length).trim() || '0', 8);

/** `path=...` records of a pax header ("<length> <key>=<value>\n" each). */
function paxPath(data: Buffer): string | undefined {
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (space === -1 || !Number.isInteger(length) || length <= 0) return undefined;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    if (record.startsWith('path=')) return record.slice(5);
    at += length;
  }
  return undefined;
}

const safe = (path: string) => !path.startsWith('/') && !path.split('/').some((part) => part === '..' || part === '');

export interface TarballContent {
  /** Files under `dirs`, by path without the archive's top folder. */
  files: Map<string, Buffer>;
  /** Top-level names of anything else the archive holds. */
  others: Set<string>;
}

/** Files under `dirs` (paths without the archive's top folder), from a .tar.gz or a plain .tar. */
export function readTarball(archive: Buffer, dirs: string[]): TarballContent {
  const tar = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  const files = new Map<string, Buffer>();
  const others = new Set<string>();
  let longName: string | undefined;
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const data = tar.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L') {
      longName = type === 'L' ? text(data, 0, data.length) : paxPath(data);
      continue;
    }
    if (type === 'g') continue;
    const prefix = text(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    longName = undefined;
    const path = name.split('/').slice(1).join('/'); // GitHub's top folder: owner-repo-sha
    const inside = dirs.some((dir) => path === dir || path === `${dir}/` || path.startsWith(`${dir}/`));
    if (!inside && path) others.add(path.split('/')[0]!);
    if (type !== '0' && type !== '\0') continue; // folders, links and devices carry no state
    if (inside && safe(path)) files.set(path, Buffer.from(data));
  }
  return { files, others };
}
