/**
 * `writeback baseline NAME [--until CURSOR] [--yes]`: records the lines the DataSet holds now (or those up
 * to a cursor value) as delivered, without sending them. It replaces the job's ledger: how a team that
 * moves from Domo's own Emarsys connector starts without sending years of sales again, and how a ledger
 * whose meaning changed (a new key, a new account) starts over. Shows what it would record; records only
 * with --yes.
 */
import { WritebackError } from '../../errors/index.ts';
import { Redactor } from '../../http/redact.ts';
import type { CommandOutput } from '../../jobs/destination.ts';
import { isoUtc, parseTimestamp, Invalid } from '../../pipeline/values.ts';
import { count as n } from '../../reports/count.ts';
import { rejectedRowLabel } from '../../reports/run-report.ts';
import { SecretResolver } from '../../secrets.ts';
import { formatWorkers } from '../../settings.ts';
import { domoClientFor, exportWithRetries } from '../../sources/domo/export.ts';
import { FingerprintSet } from '../../state/fingerprint-tables.ts';
import { KEY_ENCODING } from '../../state/key-hasher.ts';
import { StateStore } from '../../state/store.ts';
import { cursorToleranceMs, maxUploadBytes } from './connect.ts';
import { resolveFieldOrder } from './fields.ts';
import { LedgerFiles } from './ledger-files.ts';
import { accountFingerprint, DEFAULT_KEY, hasDeliveries, KIND } from './ledger.ts';
import { scanSalesExport } from './sales-scanner.ts';
import type { EmarsysSalesDefinition } from './spec.ts';
import { salesState, type LedgerMeaning, type LedgerSegment } from './state.ts';

export async function baselineSales(io: CommandOutput, definition: EmarsysSalesDefinition, options: { until?: string; yes: boolean }): Promise<number> {
  const name = definition.metadata.name;
  const spec = definition.spec;
  const cursorColumn = spec.delivery?.cursor;
  let until: number | undefined;
  if (options.until !== undefined) {
    if (!cursorColumn) throw new WritebackError(`--until needs spec.delivery.cursor: ${name} has no cursor, so baseline records every line the export holds`);
    const parsed = parseTimestamp(options.until);
    if (parsed instanceof Invalid) throw new WritebackError(`--until ${parsed.reason}`);
    until = parsed;
  }
  const store = new StateStore(io.root, name);
  // Under the job's lock from the first read to the last write: a reconcile in between would otherwise
  // have its deliveries overwritten by this state, and send them again.
  const lock = store.lock(`baseline-${Date.now()}`);
  try {
    return await recordBaseline(io, definition, store, until, options.yes);
  } finally {
    lock.release();
  }
}

async function recordBaseline(io: CommandOutput, definition: EmarsysSalesDefinition, store: StateStore, until: number | undefined, yes: boolean): Promise<number> {
  const name = definition.metadata.name;
  const spec = definition.spec;
  const cursorColumn = spec.delivery?.cursor;
  const state = salesState(store.load(KIND));
  if (state.pending || state.held) throw new WritebackError(`${name} is held: resolve it first (npx writeback release ${name} --delivered | --not-delivered)`);

  const redactor = new Redactor();
  const secrets = new SecretResolver(io.env, redactor);
  const domo = domoClientFor(spec.source, name, secrets, io.env, redactor);
  const merchantId = secrets.resolve(name, spec.destination.emarsysSales.merchantId);
  const meaning: LedgerMeaning = {
    kind: KIND,
    key: spec.delivery?.key ?? DEFAULT_KEY,
    keyEncoding: KEY_ENCODING,
    account: accountFingerprint(merchantId),
    dataset: spec.source.domo.datasetId,
    cursor: cursorColumn,
  };
  const now = Date.now();
  const cursorLimit = cursorColumn ? now + cursorToleranceMs(io.env) : undefined;
  // The columns stay those Emarsys agreed with the job (a job that delivered keeps its own), not a new default.
  const fileHeader = resolveFieldOrder(spec, state, hasDeliveries(state)).order;
  io.out(`${name}: reading the DataSet to see what it holds${until === undefined ? '' : ` up to ${cursorColumn} ${isoUtc(until)}`}...`);
  const scan = await exportWithRetries({
    domo,
    datasetId: spec.source.domo.datasetId,
    onInfo: () => {},
    consume: (csv, _info, expected) =>
      scanSalesExport(csv, {
        spec: { ...spec, fieldOrder: fileHeader },
        ledger: new FingerprintSet(),
        cursorLimit,
        windowEnd: until,
        keyEncoding: meaning.keyEncoding,
        expectedRows: expected.rows,
        workers: formatWorkers(io.env, expected.rows),
        maxPartBytes: maxUploadBytes(io.env),
        checksum: false, // nothing is uploaded: the ledger's segments carry their own checksums
      }),
    log: (line) => io.out(`${name}: ${line}`),
  });
  try {
    const lines = scan.spool.lines;
    const cursor = until ?? scan.maxCursor;
    const previous = state.segments.reduce((sum, s) => sum + s.lines, 0);
    io.out(`${name}: would record ${n(lines)} lines as delivered to Emarsys without sending them${cursor === undefined ? '' : `, and continue from ${cursorColumn} ${isoUtc(cursor)}`}.`);
    if (scan.afterWindow) io.out(`  ${n(scan.afterWindow)} rows after --until are not recorded: the next reconcile sends them.`);
    if (scan.rejected) io.out(`  ${n(scan.rejected)} invalid rows are not recorded (a reconcile rejects them until they are fixed); first: row ${rejectedRowLabel(scan.rejects[0]!)}: ${scan.rejects[0]!.field} (${scan.rejects[0]!.column}) ${scan.rejects[0]!.reason}`);
    if (scan.duplicateInExport) io.out(`  ${n(scan.duplicateInExport)} rows repeat a key and count once.`);
    if (previous) io.out(`  This replaces the current ledger (${n(previous)} lines${state.ledger ? `, key ${state.ledger.key.join(' + ')}` : ''}).`);
    if (!yes) {
      io.out(`Nothing recorded. Check that Emarsys holds these lines, then run again with --yes to record them.`);
      return 0;
    }
    const files = new LedgerFiles(store);
    const segments: LedgerSegment[] = scan.spool.parts.map((part) => ({
      ...files.writeSegment(`baseline-${isoUtc(now).replace(/[-:]/g, '')}`, part.index, part.fingerprintChunks()),
      lines: part.lines,
      maxCursor: part.maxCursor === undefined ? undefined : isoUtc(part.maxCursor),
      runId: 'baseline',
      acceptedAt: new Date(now).toISOString(),
    }));
    const replaced = state.segments;
    state.name = name;
    state.kind = KIND;
    state.segments = segments;
    state.ledger = meaning;
    state.fileHeader = fileHeader;
    state.cursor = cursor === undefined ? undefined : isoUtc(cursor);
    store.save(state);
    for (const old of replaced) if (!segments.some((s) => s.file === old.file)) files.deleteSegment(old.file);
    io.out(`${name}: recorded ${n(lines)} lines as delivered.${io.env.WRITEBACK_STATE_BRANCH?.trim() ? '' : ` Commit state/${name}.json and state/${name}/ so the scheduled runs see it.`}`);
    return 0;
  } finally {
    scan.dispose();
  }
}
