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

const safe = (path: string) => !path.startsWith('/') && !path.split('/').some((part) => part === '..' || part === '.' || part === '');

/** An archive that is not whole: the state it holds cannot be trusted (a cut-off download, a proxy's page). */
export class BrokenTarballError extends Error {}

export interface TarballContent {
  /** Files under `dirs`, by path without the archive's top folder. */
  files: Map<string, Buffer>;
  /** Top-level names of anything else the archive holds. */
  others: Set<string>;
}

/** Files under `dirs` (paths without the archive's top folder), from a .tar.gz or a plain .tar. */
export function readTarball(archive: Buffer, dirs: string[]): TarballContent {
  let tar: Buffer;
  try {
    tar = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  } catch (error) {
    throw new BrokenTarballError(`the archive does not decompress (${(error as Error).message})`);
  }
  const files = new Map<string, Buffer>();
  const others = new Set<string>();
  let longName: string | undefined;
  let ended = false;
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) {
      ended = true;
      break;
    }
    const size = octal(header, 124, 12);
    if (!Number.isInteger(size) || size < 0 || at + BLOCK + size > tar.length) throw new BrokenTarballError(`an entry at byte ${at} runs past the end of the archive`);
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
  // git archive ends with zero blocks: without them the archive was cut off (an empty body included).
  if (!ended) throw new BrokenTarballError('the archive ends before its end marker: the download was cut off');
  return { files, others };
}
