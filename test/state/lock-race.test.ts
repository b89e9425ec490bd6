/**
 * Two runs that find the same stale lock at the same moment: the take-over must let only one of them
 * deliver. The lock is synchronous, so the race is staged: while the first run reads the stale lock,
 * a second run (as if in another process) takes it over completely; the first must then not remove it.
 */
import { mkdirSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const race = vi.hoisted(() => ({ onRead: undefined as undefined | ((path: string) => void) }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((path: string, ...rest: unknown[]) => {
    const result = (fs.readFileSync as (...args: unknown[]) => unknown)(path, ...rest);
    const hook = race.onRead;
    if (hook && String(path).endsWith('.lock')) {
      race.onRead = undefined;
      hook(String(path));
    }
    return result;
  }) as typeof fs.readFileSync;
  return { ...fs, readFileSync, default: { ...fs, readFileSync } };
});

const { takeLock } = await import('../../src/state/lock.ts');
const { JobLockedError } = await import('../../src/errors/index.ts');

/** A lock left by a process that is gone (pid 2^22 - 1 is above Linux's pid_max default). */
function staleLock(file: string): void {
  writeFileSync(file, JSON.stringify({ runId: 'killed', pid: 4_194_303, host: hostname(), since: new Date().toISOString() }));
}

describe('taking over a stale lock', () => {
  it('lets exactly one of two runs that both found it stale hold the lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-lock-'));
    const file = join(dir, 'sales.lock');
    staleLock(file);
    let second: { release(): void } | undefined;
    race.onRead = () => {
      second = takeLock(file, 'second', 'sales');
    };
    // The first run read the stale lock; by the time it acts, the second run holds a fresh one.
    expect(() => takeLock(file, 'first', 'sales')).toThrow(JobLockedError);
    expect(second).toBeDefined();
    second!.release();
    expect(takeLock(file, 'third', 'sales').tookOver).toBeUndefined(); // nothing stale was left behind
  });

  it('a take-over marker its writer died before filling does not keep the lock stale forever', () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-lock-'));
    const file = join(dir, 'sales.lock');
    staleLock(file);
    const stat = statSync(file, { bigint: true });
    const marker = `${file}.takeover-${stat.ino}-${stat.mtimeNs}-1`;
    writeFileSync(marker, '');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(marker, hourAgo, hourAgo);
    const lock = takeLock(file, 'next', 'sales');
    expect(lock.tookOver).toContain('its process is gone');
    lock.release();
    expect(readdirSync(dir)).toEqual([]); // the dead marker went too
  });

  it('reports what it took over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'writeback-lock-'));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'sales.lock');
    staleLock(file);
    const lock = takeLock(file, 'next', 'sales');
    expect(lock.tookOver).toMatch(/^took over the lock of run killed, process 4194303 on .*: its process is gone$/);
    lock.release();
  });
});
