/**
 * Durable file writes for state and reports: a crash leaves the old content or the new, never half, and
 * a full or read-only disk fails with a sentence that says what to do.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { WritebackError } from '../errors/index.ts';

const FS_PROBLEMS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission was denied',
  EPERM: 'permission was denied',
  EMFILE: 'too many files are open',
  EIO: 'the disk reported an I/O error',
};

/** A file that could not be written or read for a reason of the machine, not of the data. */
export class StorageError extends WritebackError {
  override name = 'StorageError';
  constructor(
    readonly code: string,
    what: string,
  ) {
    super(`${what}: ${FS_PROBLEMS[code] ?? code} (${code}). Free space or fix the permissions on the runner (a run spools about the size of its export), then run again.`);
  }
}

/** The error as a StorageError when it is one of the machine's (disk full, read-only...), else unchanged. */
export function storageError(error: unknown, what: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code && code in FS_PROBLEMS ? new StorageError(code, what) : error;
}

/** Makes a rename or a new file in `dir` survive a power cut (POSIX: the directory entry needs its own fsync). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    // Some file systems (and Windows) cannot fsync a directory; the rename itself is still atomic.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Write to a temp file, fsync, rename, fsync the directory. On any failure the temp file is removed and
 * the old content stays; a machine problem (ENOSPC...) becomes a StorageError naming `path`.
 */
export function writeDurably(path: string, content: string | Buffer | Iterable<Buffer>, name = path): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(temp, 'w');
    try {
      if (typeof content === 'string' || Buffer.isBuffer(content)) writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
      else for (const chunk of content) writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    fsyncDir(dirname(path));
  } catch (error) {
    rmSync(temp, { force: true });
    throw storageError(error, `could not write ${name}`);
  }
}
