/**
 * Locks as operators meet them: left by a killed run while three new runs start at once, from another
 * host, held by a stuck process, kept out of git; and SIGINT/SIGTERM ending a run cleanly.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SalesState } from '../src/destinations/emarsys/state.ts';
import { acceptedOrders, COLUMNS, DATASET_ID, lines, useWorld } from './helpers/world.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'writeback.js');
const lockFile = (root: string) => join(root, 'state', 'sales.lock');
const writeLock = (root: string, holder: object) => {
  mkdirSync(join(root, 'state'), { recursive: true });
  writeFileSync(lockFile(root), JSON.stringify(holder));
};
/** A process id above Linux's default pid_max: no process has it. */
const DEAD_PID = 4_194_303;

function cli(args: string[], env: NodeJS.ProcessEnv, onSpawn?: (child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    onSpawn?.(child);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('locks', () => {
  const world = useWorld();

  it('three reconciles started at once on a lock left by a killed run deliver every line once, many times over', async () => {
    const env = { ...world.env, WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES: '600' };
    let delivered = 0;
    for (let round = 0; round < 8; round++) {
      if (!world.domo.datasets.has(DATASET_ID)) world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: [] });
      world.domo.appendRows(DATASET_ID, lines(12, Date.parse('2026-11-20T08:00:00Z') + round * 3_600_000, 1 + round * 12));
      writeLock(world.root, { runId: 'killed', pid: DEAD_PID, host: hostname(), since: new Date().toISOString() });
      const runs = await Promise.all([0, 1, 2].map(() => cli(['reconcile', '--force', '--root', world.root], env)));
      const succeeded = runs.filter((r) => /sales: succeeded/.test(r.stdout));
      expect(succeeded.length, runs.map((r) => r.stdout + r.stderr).join('\n---\n')).toBeGreaterThanOrEqual(1);
      for (const run of runs) expect(run.stdout).toMatch(/sales: (succeeded|skipped)/);
      delivered += 12;
      expect(world.emarsys.duplicates()).toEqual([]);
      expect(world.emarsys.accepted).toHaveLength(delivered);
      expect(existsSync(lockFile(world.root))).toBe(false);
    }
  }, 120_000);

  it('a lock from another host is respected with a warning, and taken over once older than WRITEBACK_LOCK_STALE_AFTER', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    writeLock(world.root, { runId: 'elsewhere', pid: 1, host: 'runner-7', since: new Date(Date.now() - 3_600_000).toISOString() });
    const young = await world.run();
    expect(young.status).toBe('skipped');
    expect(young.message).toContain('The lock comes from another host (runner-7): it is taken over once older than 6.0 h');
    const old = await world.run({ env: { WRITEBACK_LOCK_STALE_AFTER: '30m' } });
    expect(old.status).toBe('succeeded');
    expect(old.warnings?.join(' ')).toContain('took over the lock of run elsewhere, process 1 on runner-7');
    expect(acceptedOrders(world)).toHaveLength(3);
  });

  it('a live process that holds the lock far longer than any run fails the job loudly instead of skipping it forever', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(3) });
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeLock(world.root, { runId: 'stuck', pid: process.pid, started, host: hostname(), since: new Date(Date.now() - 7 * 3_600_000).toISOString() });
    const report = await world.run();
    expect(report.status).toBe('failed');
    expect(report.message).toContain(`is held by process ${process.pid} (run stuck)`);
    expect(report.message).toContain('if that process is stuck, stop it');
    expect(world.emarsys.uploads).toBe(0);
  });

  it('lock files are ignored by git, so a committed lock can never stop fresh checkouts', () => {
    const repo = mkdtempSync(join(tmpdir(), 'writeback-ignore-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
    writeFileSync(join(repo, '.gitignore'), readFileSync(join(import.meta.dirname, '..', '.gitignore')));
    mkdirSync(join(repo, 'state'));
    for (const f of ['sales.lock', 'sales.lock.tmp-123', 'sales.lock.takeover-1-2-1', 'sales.json.tmp-99', 'sales.json']) writeFileSync(join(repo, 'state', f), '');
    const untracked = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: repo, encoding: 'utf8' });
    expect(untracked.split('\n').filter((l) => l.includes('state/'))).toEqual(['?? state/sales.json']);
  });

  it('SIGTERM during an upload lets it finish, starts nothing new, releases the lock and exits 143', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(30) });
    world.emarsys.uploadDelayMs = 600;
    const spoolDir = mkdtempSync(join(tmpdir(), 'writeback-sigterm-'));
    const env = { ...world.env, WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES: '600', WRITEBACK_HTTP_TIMEOUT_MS: '5000', TMPDIR: spoolDir };
    const run = await cli(['reconcile', '--force', '--root', world.root], env, (child) => {
      const poll = setInterval(() => {
        if (world.emarsys.server.requests.length > 0) {
          clearInterval(poll);
          child.kill('SIGTERM');
        }
      }, 5);
    });
    expect(run.code).toBe(143);
    expect(run.stderr).toContain('SIGTERM: stopping after the upload in progress');
    const stopped = /sales: failed: Stopped by SIGTERM after (\d+) of (\d+) upload\(s\)/.exec(run.stdout);
    expect(stopped, run.stdout).not.toBeNull();
    expect(Number(stopped![1])).toBeLessThan(Number(stopped![2])); // nothing new started
    expect(existsSync(lockFile(world.root))).toBe(false);
    expect(readdirSync(spoolDir).filter((f) => f.startsWith('writeback-spool-'))).toEqual([]); // the spool went with the run
    const state = JSON.parse(readFileSync(join(world.root, 'state', 'sales.json'), 'utf8')) as SalesState;
    expect(state.pending).toBeUndefined();
    expect(state.segments).toHaveLength(Number(stopped![1])); // the upload on the wire was answered and recorded
    world.emarsys.uploadDelayMs = 0;
    expect((await world.run()).status).toBe('succeeded');
    expect(acceptedOrders(world)).toHaveLength(30);
    expect(world.emarsys.duplicates()).toEqual([]);
  });

  it('a second signal (or the grace period running out) stops at once: the lock goes, the intent holds the job', async () => {
    world.domo.addDataSet({ id: DATASET_ID, name: 'sales', columns: COLUMNS, rows: lines(10) });
    world.emarsys.uploadDelayMs = 3000;
    const env = { ...world.env, WRITEBACK_HTTP_TIMEOUT_MS: '10000', WRITEBACK_STOP_GRACE_MS: '300' };
    const run = await cli(['reconcile', '--force', '--root', world.root], env, (child) => {
      const poll = setInterval(() => {
        if (world.emarsys.server.requests.length > 0) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 5);
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('stopping now; an upload without a recorded answer holds its job');
    expect(existsSync(lockFile(world.root))).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // Emarsys takes the file after all
    const next = await world.run();
    expect(next.status).toBe('held');
    expect(world.emarsys.uploads).toBe(1);
  }, 20_000);
});
