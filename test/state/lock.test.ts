/**
 * The job lock as one process sees it: taken and released cleanly, refused while another run holds it
 * (saying who), taken over when its holder is gone, respected when it comes from another host until it is
 * older than the stale limit, and never a stack trace when the lock file is garbage. The race between two
 * take-overs is in lock-race.test.ts; the CLI's view of locks in test/locks.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHolder, releaseHeldLocks, takeLock, type LockHolder } from '../../src/state/lock.ts';
import { JobLockedError, WritebackError } from '../../src/errors/index.ts';

const HOUR = 3_600_000;
const host = hostname();
const hoursAgo = (h: number) => new Date(Date.now() - h * HOUR).toISOString();

/** This process's start time as the lock records it (/proc/self/stat field 22). */
const myStart = (() => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
})();

/** The id of a process that has exited (a child run to its end), so no process holds it now. */
const deadPid = (): number => spawnSync('true').pid!;

let root: string;
let file: string;
let stateDir: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'writeback-lock-unit-'));
  stateDir = join(root, 'state');
  file = join(stateDir, 'sales.lock');
});
afterEach(() => {
  releaseHeldLocks();
  rmSync(root, { recursive: true, force: true });
});

const writeLockFile = (text: string) => {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, text);
};
const writeHolder = (holder: Partial<LockHolder>) => writeLockFile(JSON.stringify(holder));
/** What takeLock threw, so its class and its whole message can be checked. */
function refusal(take: () => unknown): Error {
  let taken: unknown;
  try {
    taken = take();
  } catch (error) {
    return error as Error;
  }
  expect.fail(`the lock was taken: ${JSON.stringify(taken)}`);
}

describe('takeLock and release', () => {
  it('records who holds the lock, and leaves nothing behind once released', () => {
    const lock = takeLock(file, 'run-1', 'sales'); // the state folder is made if missing
    expect(lock.tookOver).toBeUndefined();
    const holder = readHolder(file)!;
    expect(holder).toMatchObject({ runId: 'run-1', pid: process.pid, started: myStart, host });
    expect(new Date(holder.since).toISOString()).toBe(holder.since);
    expect(readdirSync(stateDir)).toEqual(['sales.lock']); // the file written aside went
    lock.release();
    expect(readdirSync(stateDir)).toEqual([]);
    takeLock(file, 'run-2', 'sales').release(); // the next run finds it free
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('refuses a second run while the first holds it, naming the holder, and lets it in once released', () => {
    const first = takeLock(file, 'first', 'sales');
    const { since } = readHolder(file)!;
    const error = refusal(() => takeLock(file, 'second', 'sales'));
    expect(error).toBeInstanceOf(JobLockedError);
    expect(error.message).toBe(`sales is being delivered by another run (run first, process ${process.pid} on ${host}, since ${since}); skipped to avoid sending lines twice`);
    expect(readHolder(file)?.runId).toBe('first'); // a refused run changes nothing
    expect(readdirSync(stateDir)).toEqual(['sales.lock']);
    first.release();
    const second = takeLock(file, 'second', 'sales');
    expect(readHolder(file)?.runId).toBe('second');
    second.release();
  });

  it('does not remove, on release, a lock that another run holds by now', () => {
    const lock = takeLock(file, 'first', 'sales');
    writeHolder({ runId: 'other', pid: process.pid, started: myStart, host, since: new Date().toISOString() });
    lock.release();
    expect(readHolder(file)?.runId).toBe('other');
  });
});

describe('stale locks on this host', () => {
  it('takes over a lock whose process is gone, and holds it as the new run', () => {
    const pid = deadPid();
    writeHolder({ runId: 'killed', pid, host, since: new Date().toISOString() });
    const lock = takeLock(file, 'next', 'sales');
    expect(lock.tookOver).toMatch(new RegExp(`^took over the lock of run killed, process ${pid} on .*: its process is gone$`));
    expect(readHolder(file)).toMatchObject({ runId: 'next', pid: process.pid });
    lock.release();
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('takes over a lock whose process id now belongs to another process (it started at another time)', () => {
    writeHolder({ runId: 'rebooted', pid: process.pid, started: `${myStart}0`, host, since: new Date().toISOString() });
    const lock = takeLock(file, 'next', 'sales');
    expect(lock.tookOver).toContain('took over the lock of run rebooted');
    expect(lock.tookOver).toContain('its process is gone');
    lock.release();
  });

  it('never robs a live process: past the stale age the job fails, saying what to do, instead of being skipped', () => {
    const since = hoursAgo(2);
    writeHolder({ runId: 'stuck', pid: process.pid, started: myStart, host, since });
    // Within the default 6 h: skipped, as any run in progress.
    expect(refusal(() => takeLock(file, 'next', 'sales'))).toBeInstanceOf(JobLockedError);
    const error = refusal(() => takeLock(file, 'next', 'sales', HOUR));
    expect(error).toBeInstanceOf(WritebackError);
    expect(error).not.toBeInstanceOf(JobLockedError); // a failure, not a skip
    expect(error.message).toBe(
      `sales: the lock state/sales.lock is held by process ${process.pid} (run stuck) since ${since}, 2.0 h, longer than any run should take (WRITEBACK_LOCK_STALE_AFTER 1.0 h): if that process is stuck, stop it; its lock goes with it`,
    );
    expect(readHolder(file)?.runId).toBe('stuck');
  });
});

describe('a lock from another host', () => {
  // Process 1 runs here too: a lock from elsewhere must not be judged by this host's processes.
  const since = hoursAgo(1);
  beforeEach(() => {
    writeHolder({ runId: 'elsewhere', pid: 1, host: 'runner-7', since });
  });

  it('is respected while younger than staleAfterMs, with a warning that says what to do', () => {
    const error = refusal(() => takeLock(file, 'next', 'sales', 2 * HOUR));
    expect(error).toBeInstanceOf(JobLockedError);
    expect(error.message).toBe(
      `sales is being delivered by another run (run elsewhere, process 1 on runner-7, since ${since}); skipped to avoid sending lines twice. ` +
        'The lock comes from another host (runner-7): it is taken over once older than 2.0 h. If no run there is active, delete state/sales.lock; lock files must never be committed to git',
    );
    expect(readHolder(file)?.runId).toBe('elsewhere');
  });

  it('is taken over once older than staleAfterMs, and the take-over is reported', () => {
    const lock = takeLock(file, 'next', 'sales', HOUR / 2);
    expect(lock.tookOver).toBe(
      `took over the lock of run elsewhere, process 1 on runner-7, since ${since}: it comes from another host and is older than WRITEBACK_LOCK_STALE_AFTER (0.5 h); a lock file must never be committed to git`,
    );
    expect(readHolder(file)).toMatchObject({ runId: 'next', host });
    lock.release();
    expect(existsSync(file)).toBe(false);
  });
});

describe('releaseHeldLocks', () => {
  it('releases every lock this process holds, as a signal handler does before exiting', () => {
    const sales = takeLock(file, 'run', 'sales');
    const contacts = takeLock(join(stateDir, 'contacts.lock'), 'run', 'contacts');
    releaseHeldLocks();
    expect(readdirSync(stateDir)).toEqual([]);
    // The run's own release may still come afterwards, and must not fail or touch a newer lock.
    writeHolder({ runId: 'newer', pid: deadPid(), host, since: new Date().toISOString() });
    sales.release();
    contacts.release();
    expect(readHolder(file)?.runId).toBe('newer');
  });

  it('leaves a lock that another process holds by now', () => {
    takeLock(file, 'run', 'sales');
    writeHolder({ runId: 'elsewhere', pid: 1, host: 'runner-7', since: new Date().toISOString() });
    releaseHeldLocks();
    expect(readHolder(file)?.runId).toBe('elsewhere');
  });
});

describe('a lock file that cannot be read', () => {
  for (const [what, text] of [
    ['not JSON', '{"runId": "half-writ'],
    ['empty', ''],
    ['JSON without a process id', '{"runId":"x","host":"h"}'],
  ] as const) {
    it(`(${what}) is refused with a message, not a parser error, while it may still be being written`, () => {
      writeLockFile(text);
      expect(readHolder(file)).toBeUndefined();
      const error = refusal(() => takeLock(file, 'next', 'sales'));
      expect(error).toBeInstanceOf(JobLockedError);
      expect(error.message).toBe('sales is being delivered by another run (an unreadable lock file); skipped to avoid sending lines twice');
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }

  it('is taken over once it has been unreadable for over a minute', () => {
    writeLockFile('garbage');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(file, twoMinutesAgo, twoMinutesAgo);
    const lock = takeLock(file, 'next', 'sales');
    expect(lock.tookOver).toBe('took over the lock of an unreadable lock file: the lock file was unreadable for over a minute');
    expect(readHolder(file)?.runId).toBe('next');
    lock.release();
    expect(readdirSync(stateDir)).toEqual([]);
  });

  it('readHolder gives nothing for a missing file', () => {
    expect(readHolder(join(stateDir, 'none.lock'))).toBeUndefined();
  });
});
