/**
 * The fault matrix: each case injects one fault into the emulators (or the fake GitHub), runs the job
 * the way a user would, lets a person's decision resolve a held job (by the truth the emulator knows),
 * runs again, and counts what matters: lines lost, lines duplicated, and lines the state claims as
 * delivered that never arrived. Used by `npm run faults` (prints the table) and by the test suite.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { releaseCommand } from '../../src/commands/release.ts';
import { DomoEmulator, type DomoFault, type DomoRoute } from '../../src/emulators/domo.ts';
import { DotdigitalEmulator, type DotdigitalFault } from '../../src/emulators/dotdigital.ts';
import { EmarsysEmulator, type EmarsysFault } from '../../src/emulators/emarsys.ts';
import { githubSession } from '../../src/reconcile/github-session.ts';
import { publish } from '../../src/reconcile/publish.ts';
import { reconcile } from '../../src/reconcile/reconciler.ts';
import type { RunReport } from '../../src/reports/run-report.ts';
import { hashFields } from '../../src/state/key-hasher.ts';
import { StateStore } from '../../src/state/store.ts';
import { LedgerFiles } from '../../src/destinations/emarsys/ledger-files.ts';
import { salesState } from '../../src/destinations/emarsys/state.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { actionsEnv, CONTACT_COLUMNS, COLUMNS, contacts, contactsJob, DD_SECRETS, lines, salesJob, SECRETS } from '../helpers/fixtures.ts';

export interface MatrixRow {
  name: string;
  /** Status of the run that met the fault. */
  outcome: string;
  /** Status after a person's decision (for a held job) and one more run. */
  final: string;
  lost: number;
  duplicated: number;
  /** Lines the state called delivered that the destination never received. */
  claimedUndelivered: number;
  message: string;
}

interface Faults {
  domo?: [DomoRoute, DomoFault, number?][];
  emarsys?: [EmarsysFault, number?][];
  dotdigital?: [DotdigitalFault, number?][];
  github?: (gh: FakeGitHub) => void;
}

interface Case {
  name: string;
  kind: 'emarsys' | 'dotdigital';
  faults: Faults;
  /** What the faulty run must end as. */
  expect: RunReport['status'];
  actions?: boolean;
}

const VALID_LINES = 120;

export const CASES: Case[] = [
  { name: 'Domo 401 mid-run (token expired)', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['export', { kind: 'status', status: 401 }]] } },
  { name: 'Domo 406 HTML to a CSV request', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['export', { kind: 'status', status: 406 }]] } },
  { name: 'Domo 429 with Retry-After', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['metadata', { kind: 'status', status: 429, retryAfter: 1 }]] } },
  { name: 'Domo 429 without Retry-After', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['export', { kind: 'status', status: 429 }]] } },
  { name: 'Domo 500', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['export', { kind: 'status', status: 500 }]] } },
  { name: 'Domo 502', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['metadata', { kind: 'status', status: 502 }]] } },
  { name: 'Domo 503 (persistent)', kind: 'emarsys', expect: 'failed', faults: { domo: [['export', { kind: 'status', status: 503 }, 3]] } },
  { name: 'Domo reset mid-body', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['export', { kind: 'reset', afterBytes: 3000 }]] } },
  { name: 'Domo body shorter than announced', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['export', { kind: 'truncate', afterRows: 50 }]] } },
  { name: 'Domo truncated every time', kind: 'emarsys', expect: 'failed', faults: { domo: [['export', { kind: 'truncate', afterRows: 50 }, 3]] } },
  { name: 'Domo slow body past the timeout', kind: 'emarsys', expect: 'succeeded', faults: { domo: [['export', { kind: 'slow', delayMs: 1800 }]] } },
  { name: 'Emarsys 429', kind: 'emarsys', expect: 'succeeded', faults: { emarsys: [[{ kind: 'status', status: 429, retryAfter: 0 }]] } },
  { name: 'Emarsys 5xx before the body was read', kind: 'emarsys', expect: 'succeeded', faults: { emarsys: [[{ kind: 'status', status: 503 }, 2]] } },
  { name: 'Emarsys timeout after acceptance', kind: 'emarsys', expect: 'held', faults: { emarsys: [[{ kind: 'accept-then-timeout' }]] } },
  { name: 'Emarsys reset after acceptance', kind: 'emarsys', expect: 'held', faults: { emarsys: [[{ kind: 'accept-then-reset' }]] } },
  { name: 'Emarsys reset before acceptance', kind: 'emarsys', expect: 'held', faults: { emarsys: [[{ kind: 'reset' }]] } },
  { name: 'Emarsys 500 after acceptance', kind: 'emarsys', expect: 'held', faults: { emarsys: [[{ kind: 'accept-then-status', status: 500 }]] } },
  { name: 'Emarsys 502 after acceptance', kind: 'emarsys', expect: 'held', faults: { emarsys: [[{ kind: 'accept-then-status', status: 502 }]] } },
  { name: 'Emarsys 504 after acceptance', kind: 'emarsys', expect: 'held', faults: { emarsys: [[{ kind: 'accept-then-status', status: 504 }]] } },
  { name: 'Emarsys 408 after acceptance', kind: 'emarsys', expect: 'held', faults: { emarsys: [[{ kind: 'accept-then-status', status: 408 }]] } },
  { name: 'Emarsys 400 rejection', kind: 'emarsys', expect: 'failed', faults: { emarsys: [[{ kind: 'status', status: 400, body: 'Line 3: invalid price' }]] } },
  { name: 'Dotdigital 429 (GET tier, reset in seconds)', kind: 'dotdigital', expect: 'succeeded', faults: { dotdigital: [[{ kind: 'rate-limit', resetSeconds: 1, scope: 'GET-v2' }]] } },
  { name: 'Dotdigital 429 (POST tier, reset as epoch)', kind: 'dotdigital', expect: 'succeeded', faults: { dotdigital: [[{ kind: 'rate-limit', resetSeconds: 1, epoch: true, scope: 'POST-v2' }]] } },
  { name: 'Dotdigital 25 active imports', kind: 'dotdigital', expect: 'succeeded', faults: {} },
  { name: 'Dotdigital watchdog rejection', kind: 'dotdigital', expect: 'failed', faults: { dotdigital: [[{ kind: 'import-status', status: 'RejectedByWatchdog' }]] } },
  { name: 'Dotdigital fault report unavailable', kind: 'dotdigital', expect: 'succeeded', faults: { dotdigital: [[{ kind: 'faults-unavailable' }, 3]] } },
  { name: 'GitHub branch moved during commit', kind: 'emarsys', expect: 'succeeded', actions: true, faults: { github: (gh) => (gh.moveBranchTimes = 1) } },
  { name: 'GitHub 5xx', kind: 'emarsys', expect: 'succeeded', actions: true, faults: { github: (gh) => gh.failures.push({ status: 502, message: 'Bad Gateway' }) } },
  {
    name: 'GitHub secondary rate limit',
    kind: 'emarsys',
    expect: 'succeeded',
    actions: true,
    faults: { github: (gh) => gh.failures.push({ status: 403, message: 'You have exceeded a secondary rate limit', headers: { 'retry-after': '1' } }) },
  },
];

const BASE_ENV = { WRITEBACK_RETRY_BASE_MS: '10', WRITEBACK_HTTP_TIMEOUT_MS: '1000' };

async function runOnce(root: string, env: NodeJS.ProcessEnv, github?: Awaited<ReturnType<typeof githubSession>>): Promise<RunReport> {
  const result = await reconcile({ root, env, only: [], force: true, dryRun: false, journal: github?.journal, log: () => {} });
  if (github) await publish(root, env, result.reports, () => {}, github);
  return result.reports[0]!;
}

function salesData(): string[][] {
  const rows = lines(VALID_LINES).map((r) => [...r]);
  rows.splice(40, 0, ['BAD-1', '2026-11-20T09:00:00', 'C-1', '', '1.00', '1', 'web'], ['BAD-2', 'yesterday', 'C-2', 'SKU-1', '1.00', '1', 'web']);
  return rows;
}

/** Order lines the state claims as delivered that Emarsys never received. */
function claimedUndelivered(root: string, emarsys: EmarsysEmulator): number {
  const store = new StateStore(root, 'sales');
  if (!store.exists()) return 0;
  const state = salesState(store.load('EmarsysSalesWriteback'));
  const ledger = new LedgerFiles(store).load(state.segments);
  const received = new Set(emarsys.accepted.map((l) => `${l.record.order}\u001f${l.record.item}`));
  const pair = new Uint32Array(2);
  let claimed = 0;
  for (const row of lines(VALID_LINES)) {
    hashFields([row[0]!, row[3]!], [0, 1], pair, state.ledger?.keyEncoding);
    if (ledger.has(pair[0]!, pair[1]!) && !received.has(`${row[0]}\u001f${row[3]}`)) claimed++;
  }
  return claimed;
}

async function emarsysCase(c: Case): Promise<MatrixRow> {
  const domo = new DomoEmulator({ [SECRETS.DOMO_CLIENT_ID]: SECRETS.DOMO_CLIENT_SECRET });
  const emarsys = new EmarsysEmulator({ [SECRETS.EMARSYS_MERCHANT_ID]: SECRETS.EMARSYS_SALES_TOKEN });
  await Promise.all([domo.start(), emarsys.start()]);
  const root = mkdtempSync(join(tmpdir(), 'writeback-faults-'));
  let gh: FakeGitHub | undefined;
  try {
    mkdirSync(join(root, 'connectors'));
    writeFileSync(join(root, 'connectors', 'sales.yaml'), salesJob('  delivery:\n    cursor: ordered_at\n    lookback: 3d\n  rejects:\n    maxRatio: 0.5\n'));
    domo.addDataSet({ id: 'ds-sales-1', name: 'sales', columns: COLUMNS, rows: salesData() });
    let env: NodeJS.ProcessEnv = { ...SECRETS, ...BASE_ENV, DOMO_API_URL: domo.url, EMARSYS_SALES_API_URL: emarsys.url, WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES: '3000' };
    let github: Awaited<ReturnType<typeof githubSession>>;
    if (c.actions) {
      gh = new FakeGitHub();
      execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
      env = actionsEnv(env, { GITHUB_TOKEN: 'ghs_fault_matrix', GITHUB_REPOSITORY: 'acme/writeback-jobs', GITHUB_REF_NAME: 'main' });
      github = await githubSession(root, env);
      c.faults.github?.(gh);
    }
    for (const [route, fault, times] of c.faults.domo ?? []) domo.inject(route, fault, times);
    for (const [fault, times] of c.faults.emarsys ?? []) emarsys.inject(fault, times);

    const first = await runOnce(root, env, github);
    const claims = claimedUndelivered(root, emarsys);
    if (first.status === 'held') {
      // The person checks Emarsys: did the held upload arrive?
      const state = salesState(new StateStore(root, 'sales').load('EmarsysSalesWriteback'));
      const firstOrder = state.pending?.firstOrder;
      const arrived = emarsys.accepted.some((l) => l.record.order === firstOrder);
      releaseCommand({ root, env, out: () => {}, err: () => {} }, { name: 'sales', delivered: arrived, notDelivered: !arrived });
    }
    const final = await runOnce(root, env, github);
    if (gh?.unexpected.length) throw new Error(`unexpected GitHub calls: ${gh.unexpected.join(', ')}`);
    const received = emarsys.accepted.map((l) => l.record.order!);
    const valid = new Set(lines(VALID_LINES).map((r) => r[0]!));
    return {
      name: c.name,
      outcome: first.status,
      final: final.status,
      lost: [...valid].filter((o) => !received.includes(o)).length,
      duplicated: received.length - new Set(received).size,
      claimedUndelivered: claims,
      message: first.action ? `${first.message} ${first.action}` : first.message,
    };
  } finally {
    if (gh) nock.cleanAll();
    await Promise.all([domo.stop(), emarsys.stop()]);
    rmSync(root, { recursive: true, force: true });
  }
}

async function dotdigitalCase(c: Case): Promise<MatrixRow> {
  const domo = new DomoEmulator({ [DD_SECRETS.DOMO_CLIENT_ID]: DD_SECRETS.DOMO_CLIENT_SECRET });
  const dd = new DotdigitalEmulator(DD_SECRETS.DOTDIGITAL_API_USER, DD_SECRETS.DOTDIGITAL_API_PASSWORD, 'r2');
  await Promise.all([domo.start(), dd.start()]);
  dd.dataFields.set('FIRSTNAME', { name: 'FIRSTNAME', type: 'String', visibility: 'Private', defaultValue: null });
  const root = mkdtempSync(join(tmpdir(), 'writeback-faults-'));
  try {
    mkdirSync(join(root, 'connectors'));
    writeFileSync(join(root, 'connectors', 'loyalty.yaml'), contactsJob());
    const members = contacts(60);
    domo.addDataSet({ id: 'ds-contacts', name: 'members', columns: CONTACT_COLUMNS, rows: members });
    const env = { ...DD_SECRETS, ...BASE_ENV, DOMO_API_URL: domo.url, DOTDIGITAL_API_URL: `${dd.url}/r2`, WRITEBACK_HTTP_TIMEOUT_MS: '3000' };
    for (const [fault, times] of c.faults.dotdigital ?? []) dd.inject(fault, times);
    if (c.name.includes('25 active imports')) {
      for (let i = 0; i < 25; i++) dd.imports.set(`busy-${i}`, { id: `busy-${i}`, status: 'NotFinished', mergeOption: 'Overwrite', pollsLeft: 99, rows: [], faults: [], report: {}, finalStatus: 'Finished' });
      setTimeout(() => dd.finishAll(), 300);
    }
    const first = await runOnce(root, env);
    const final = await runOnce(root, env);
    const expected = members.map((m) => m[0]!.toLowerCase());
    return {
      name: c.name,
      outcome: first.status,
      final: final.status,
      lost: expected.filter((e) => !dd.contacts.has(e)).length,
      duplicated: 0, // contact imports are upserts by email: a contact cannot be held twice
      claimedUndelivered: 0,
      message: first.message,
    };
  } finally {
    await Promise.all([domo.stop(), dd.stop()]);
    rmSync(root, { recursive: true, force: true });
  }
}

export async function runCase(c: Case): Promise<MatrixRow> {
  return c.kind === 'emarsys' ? emarsysCase(c) : dotdigitalCase(c);
}

export function renderMatrix(rows: MatrixRow[], expectations = CASES): string {
  const header = ['case', 'outcome', 'expected', 'after decision', 'lines lost', 'lines duplicated', 'state claims undelivered'];
  const table = rows.map((r, i) => [r.name, r.outcome, expectations[i]?.expect ?? '', r.final, String(r.lost), String(r.duplicated), String(r.claimedUndelivered)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.map(line)].join('\n');
}
