/** The dashboard's chart: one bar per run, each under a label of its own. */
import { describe, expect, it } from 'vitest';
import { renderDashboard, runLabels, type JobSummary } from '../../src/reports/dashboard.ts';
import type { RunReport } from '../../src/reports/run-report.ts';

const run = (startedAt: string, sent: number): RunReport => ({
  name: 'sales',
  kind: 'EmarsysSalesWriteback',
  runId: `${startedAt.replace(/[-:.]/g, '')}-abc`,
  startedAt,
  finishedAt: startedAt,
  status: 'succeeded',
  rows: { read: sent, sent, rejected: 0, skipped: 0 },
  message: '',
});
const job = (history: RunReport[]): JobSummary => ({ name: 'sales', kind: 'EmarsysSalesWriteback', suspended: false, held: false, dueNow: false, history });

/** The chart's x-axis labels and bars, as Mermaid reads them. */
function chart(markdown: string): { labels: string[]; bars: number[] } {
  const axis = markdown.match(/^ {2}x-axis \[(.*)\]$/m)![1]!;
  const bars = markdown.match(/^ {2}bar \[(.*)\]$/m)![1]!;
  return { labels: [...axis.matchAll(/"([^"]*)"/g)].map((m) => m[1]!), bars: bars.split(', ').map(Number) };
}

describe('the rows-sent chart', () => {
  const now = new Date('2026-11-22T06:00:00Z');

  it('gives every run its own label, so runs in one minute or one day are separate bars', () => {
    const history = [
      run('2026-11-21T05:17:03.120Z', 10),
      run('2026-11-22T05:17:03.120Z', 20),
      run('2026-11-22T05:17:41.800Z', 0),
      run('2026-11-22T19:06:00.000Z', 25),
    ];
    const { labels, bars } = chart(renderDashboard([job(history)], now));
    expect(bars).toEqual([10, 20, 0, 25]);
    expect(labels).toEqual(['11-21 05:17', '11-22 05:17:03', '11-22 05:17:41', '11-22 19:06']);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('numbers runs that started in the same second', () => {
    expect(runLabels(['2026-11-22T05:17:03.100Z', '2026-11-22T05:17:03.900Z', '2026-11-22T05:17:03.950Z'])).toEqual(['11-22 05:17:03', '11-22 05:17:03 (2)', '11-22 05:17:03 (3)']);
  });

  it('shows the year when the runs span years', () => {
    expect(runLabels(['2025-12-31T23:50:00.000Z', '2026-01-01T00:10:00.000Z'])).toEqual(['2025-12-31 23:50', '2026-01-01 00:10']);
  });

  it('a startedAt read back from a report cannot break out of the quoted label', () => {
    const labels = runLabels(['2026-11-22T05:17:00Z"] ; bar [9', '', '']);
    expect(labels.every((l) => !/["\[\]]/.test(l))).toBe(true);
    expect(new Set(labels).size).toBe(3);
  });

  it('has as many labels as bars for the last 20 runs, all different, even 20 runs in one minute', () => {
    const history = Array.from({ length: 25 }, (_, i) => run(`2026-11-22T05:17:${String(i).padStart(2, '0')}.000Z`, i));
    const { labels, bars } = chart(renderDashboard([job(history)], now));
    expect(bars).toHaveLength(20);
    expect(labels).toHaveLength(20);
    expect(new Set(labels).size).toBe(20);
    expect(labels[0]).toBe('11-22 05:17:05');
  });
});
