/**
 * Crash safety: the runner is killed with SIGKILL at random points of a delivery, 50 times. After each
 * kill a fresh runner finishes the job (a person resolving a held job by what Emarsys really received).
 * In the end Emarsys holds every valid line exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomoEmulator } from '../src/emulators/domo.ts';
import { EmarsysEmulator } from '../src/emulators/emarsys.ts';
import { random } from '../src/demo/sample-data.ts';
import type { SalesState } from '../src/destinations/emarsys/state.ts';
import { COLUMNS, lines, salesJob, SECRETS } from './helpers/fixtures.ts';

const TRIALS = 50;
const LINES_PER_TRIAL = 40;
const BIN = join(import.meta.dirname, '..', 'bin', 'writeback.js');

describe('crash safety under SIGKILL', () => {
  const domo = new DomoEmulator({ [SECRETS.DOMO_CLIENT_ID]: SECRETS.DOMO_CLIENT_SECRET });
  const emarsys = new EmarsysEmulator({ [SECRETS.EMARSYS_MERCHANT_ID]: SECRETS.EMARSYS_SALES_TOKEN });
  const root = mkdtempSync(join(tmpdir(), 'writeback-crash-'));
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await Promise.all([domo.start(), emarsys.start()]);
    emarsys.uploadDelayMs = 40;
    mkdirSync(join(root, 'connectors'));
    writeFileSync(join(root, 'connectors', 'sales.yaml'), salesJob());
    domo.addDataSet({ id: 'ds-sales-1', name: 'sales', columns: COLUMNS, rows: [] });
    env = { PATH: process.env.PATH, ...SECRETS, DOMO_API_URL: domo.url, EMARSYS_SALES_API_URL: emarsys.url, WRITEBACK_RETRY_BASE_MS: '10', WRITEBACK_HTTP_TIMEOUT_MS: '2000', WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES: '1200' };
  });
  afterAll(async () => {
    await Promise.all([domo.stop(), emarsys.stop()]);
    rmSync(root, { recursive: true, force: true });
  });

  const runner = (args: string[], killAfterMs?: number) =>
    new Promise<{ code: number | null; killed: boolean }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args, '--root', root], { env, stdio: 'ignore' });
      const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, killed: signal === 'SIGKILL' });
      });
    });
  const state = (): SalesState => JSON.parse(readFileSync(join(root, 'state', 'sales.json'), 'utf8'));

  it(`${TRIALS} kills at random points: every line arrives exactly once`, async () => {
    const rand = random(2026);
    let kills = 0;
    let fullRunMs = 0;
    let holds = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      domo.appendRows('ds-sales-1', lines(LINES_PER_TRIAL, Date.parse('2026-11-20T08:00:00Z') + trial * 3_600_000, 1 + trial * LINES_PER_TRIAL));
      // The kill lands anywhere from start-up to the last upload: drawn within the time the last unkilled
      // run took (the machine's load changes while the suite runs, so the first run's time can mislead).
      const started = performance.now();
      const { killed } = await runner(['reconcile', '--force'], trial === 0 ? undefined : Math.floor(fullRunMs * (0.15 + 0.8 * rand())));
      if (trial === 0) fullRunMs = performance.now() - started;
      if (killed) kills++;
      // Recovery, as a person would do it: run again; when held, say what Emarsys really received.
      let recovered = false;
      for (let attempt = 0; attempt < 4 && !recovered; attempt++) {
        const before = existsSync(join(root, 'state', 'sales.json')) ? state().lastRun?.runId : undefined;
        const recoveryStarted = performance.now();
        await runner(['reconcile', '--force']);
        const s = state();
        // Only this run's own record counts: a run that did not get to record one proves nothing.
        recovered = !s.pending && !s.held && s.lastRun?.status === 'succeeded' && s.lastRun.runId !== before;
        if (recovered && (s.lastRun?.rows.sent ?? 0) > 0) fullRunMs = performance.now() - recoveryStarted; // a run that sent: as long as a full one
        if (recovered) break;
        if (s.pending || s.held) {
          holds++;
          const order = s.pending?.firstOrder;
          const arrived = order !== undefined && emarsys.accepted.some((l) => l.record.order === order);
          await runner(['release', 'sales', arrived ? '--delivered' : '--not-delivered']);
        }
      }
      expect(recovered, `trial ${trial}: a fresh run succeeded (state: ${JSON.stringify(state().lastRun)})`).toBe(true);
    }
    const received = emarsys.accepted.map((l) => l.record.order!);
    expect(received.length - new Set(received).size).toBe(0); // nothing twice
    expect(new Set(received).size).toBe(TRIALS * LINES_PER_TRIAL); // nothing lost
    expect(kills, `runs killed mid-flight (an unkilled run took ${Math.round(fullRunMs)} ms)`).toBeGreaterThanOrEqual((TRIALS - 1) * 0.8);
    console.log(`crash safety: ${TRIALS} trials, ${kills} runs killed mid-flight, ${holds} held and resolved, ${received.length} lines received, 0 duplicated, 0 lost`);
  }, 600_000);
});
