/** Which runs changed nothing, and so add no commit with a state branch. */
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/reports/run-report.ts';
import { commitUnchanged, dropUnchanged, unchangedJobs } from '../../src/reconcile/unchanged-runs.ts';

const now = new Date('2026-12-01T10:07:00Z');
const state = (status: string, extra: Record<string, unknown> = {}, startedAt = `2026-12-01T10:0${Math.floor(Math.random() * 7)}:00Z`) =>
  JSON.stringify({ version: 1, name: 'sales', kind: 'K', cursor: 'c1', lastRun: { status, startedAt }, ...extra });
const report = (status: RunReport['status'], sent = 0): RunReport => ({ name: 'sales', kind: 'K', runId: 'r2', startedAt: '', finishedAt: '', status, rows: { read: 5, sent, rejected: 0, skipped: 0 }, message: '' });
const changes = (after: string) => [
  { path: 'reports/README.md', content: Buffer.from('d') },
  { path: 'reports/sales/r2.json', content: Buffer.from('{}') },
  { path: 'state/sales.json', content: Buffer.from(after) },
];
const check = (r: RunReport, before: string, after: string, schedule?: string) =>
  unchangedJobs([r], changes(after), () => before, new Map([['sales', schedule]]), now).has('sales');

describe('runs that changed nothing', () => {
  it('is a run with nothing sent, the same outcome and the same state apart from its time', () => {
    expect(check(report('succeeded'), state('succeeded'), state('succeeded'))).toBe(true);
    expect(check(report('succeeded', 3), state('succeeded'), state('succeeded'))).toBe(false);
    expect(check(report('failed'), state('succeeded'), state('failed'))).toBe(false); // a new failure is news
    expect(check(report('succeeded'), state('succeeded'), state('succeeded', { cursor: 'c2' }))).toBe(false);
    expect(check(report('succeeded'), 'not json', state('succeeded'))).toBe(false);
    // A check recorded 6 hours ago or more is recorded again: the dashboard must not show a live job as gone.
    expect(check(report('succeeded'), state('succeeded', {}, '2026-12-01T04:07:00Z'), state('succeeded'))).toBe(false);
    const deleted = unchangedJobs([report('succeeded')], [{ path: 'state/sales.json' }], () => state('succeeded'), new Map([['sales', undefined]]), now);
    expect(deleted.size).toBe(0);
  });

  it('is recorded anyway for a job whose schedule would otherwise run it again at the next tick', () => {
    expect(check(report('succeeded'), state('succeeded'), state('succeeded'), '*/15 * * * *')).toBe(true);
    expect(check(report('succeeded'), state('succeeded'), state('succeeded'), '0 * * * *')).toBe(false);
  });

  it('leaves out the job files, and the dashboard when nothing else is left', () => {
    expect(dropUnchanged(changes(state('succeeded')), new Set(['sales']))).toEqual([]);
    const other = { path: 'state/shop.json', content: Buffer.from('{}') };
    expect(dropUnchanged([...changes(state('succeeded')), other], new Set(['sales'])).map((c) => c.path)).toEqual(['reports/README.md', 'state/shop.json']);
  });

  it('is on by default with a state branch only, and WRITEBACK_COMMIT_UNCHANGED decides', () => {
    expect(commitUnchanged({}, true)).toBe(false);
    expect(commitUnchanged({}, false)).toBe(true);
    expect(commitUnchanged({ WRITEBACK_COMMIT_UNCHANGED: 'true' }, true)).toBe(true);
    expect(commitUnchanged({ WRITEBACK_COMMIT_UNCHANGED: 'false' }, false)).toBe(false);
  });
});
