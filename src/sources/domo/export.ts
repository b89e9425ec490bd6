/**
 * Reading a DataSet, again from the start when the download breaks off or comes back short: the whole
 * export, or only the job's window through the query API (window-query.ts), as chooseRead decides.
 */
import { count as n } from '../../reports/count.ts';
import type { RunReport } from '../../reports/run-report.ts';
import type { Readable } from 'node:stream';
import { describeError, HttpError, TruncatedExportError, WritebackError } from '../../errors/index.ts';
import type { Redactor } from '../../http/redact.ts';
import { isNetworkError, MAX_TRIES } from '../../http/retry.ts';
import { HttpClient } from '../../http/client.ts';
import type { DomoSource } from '../../definitions/types.ts';
import type { SecretResolver } from '../../secrets.ts';
import { httpSettings } from '../../settings.ts';
import { DOMO_DEFAULT_URL, DomoClient, type DataSetInfo } from './client.ts';
import { windowCondition, windowCsv, windowLiteral, WindowReadError, type QueryWindow, type WindowColumn } from './window-query.ts';


/** What consuming an export yields: at least how many data rows it read, and a way to drop its files. */
export interface ExportConsumption {
  read: number;
  dispose(): void;
}

export function domoClientFor(source: DomoSource, job: string, secrets: SecretResolver, env: NodeJS.ProcessEnv, redactor: Redactor): DomoClient {
  const clientId = secrets.resolve(job, source.domo.clientId);
  const clientSecret = secrets.resolve(job, source.domo.clientSecret);
  return new DomoClient(new HttpClient({ service: 'Domo', baseUrl: env.DOMO_API_URL || DOMO_DEFAULT_URL, redactor, ...httpSettings(env) }), clientId, clientSecret);
}

const isCsvError = (error: unknown) => String((error as { code?: unknown })?.code ?? '').startsWith('CSV_');

/** What an export should hold: the rows this client can read (fewer than the DataSet's under row policies). */
export interface ExpectedRows {
  rows: number;
  /** Set when row policies (PDP) apply: then `rows` is this client's count, from the query API. */
  pdp?: { visibleRows: number; allRows: number };
  /** Set for a read through the query API: `rows` is what its COUNT(*) found (of `allRows` in the DataSet). */
  query?: { from?: string; allRows: number };
}

/**
 * How a job reads its DataSet (spec.source.domo.read): the export, or the query API with or without a window.
 * `fallback`: `auto` chose the query, so a query Domo refuses, or a window it cannot page, reads the export instead.
 */
export type ReadChoice = { kind: 'export'; why: string } | { kind: 'query'; columns: WindowColumn[]; window?: QueryWindow; why: string; fallback?: boolean };

/**
 * Key columns whose text is the same through the export and the query API. The ledger knows delivered lines
 * by their key's text, so a key written otherwise by one of them (a DOUBLE 10001.0 against 10001, a DECIMAL
 * 12.50 against 12.5; no Domo source says how either writes them) would make delivered lines look new.
 */
const SAME_TEXT_BOTH_WAYS = new Set(['STRING', 'LONG', 'DATE', 'DATETIME']);

/**
 * `auto` reads through the query API when the job has a window (a cursor and a run before this one) on a
 * DATE or DATETIME column, the whole export otherwise; `query` and `export` are the operator's choice, but
 * `query` is refused for a key column the two may write otherwise: delivered lines would look new.
 */
export function chooseRead(setting: 'auto' | 'query' | 'export' | undefined, info: DataSetInfo, columnNames: string[], window?: { column: string; from: number }, keyColumns: string[] = []): ReadChoice {
  if (setting === 'export') return { kind: 'export', why: 'source.domo.read: export' };
  const types = new Map(info.schema.columns.map((c) => [c.name, c.type]));
  const names = [...new Set([...(window ? [window.column] : []), ...columnNames])];
  const missing = names.filter((name) => !types.has(name));
  // A missing column is the scanner's to explain, with the export's header in hand.
  if (missing.length) return { kind: 'export', why: `the DataSet has no column ${missing.join(', ')}` };
  const columns = names.map((name) => ({ name, type: types.get(name)! }));
  const cursorType = window && types.get(window.column);
  const queryWindow = window && (cursorType === 'DATE' || cursorType === 'DATETIME') ? { cursor: { name: window.column, type: cursorType }, from: window.from } : undefined;
  const unlike = keyColumns.filter((name) => !SAME_TEXT_BOTH_WAYS.has(types.get(name) ?? 'STRING'));
  const unlikeWhy =
    unlike.length === 1
      ? `the key column ${unlike[0]} is ${types.get(unlike[0]!)}, whose text the query API may write otherwise than the export, and delivered lines are known by it`
      : `the key columns ${unlike.map((name) => `${name} (${types.get(name)})`).join(', ')} hold numbers whose text the query API may write otherwise than the export, and delivered lines are known by it`;
  if (setting === 'query') {
    if (unlike.length) {
      throw new WritebackError(
        `source.domo.read: query cannot read this job: ${unlikeWhy} (a DOUBLE 10001.0 written 10001 would make a delivered line look new and send it again). ` +
          `Set read: auto, which exports for this job, or export; a job that delivered through read: query before then needs writeback baseline up to its delivered cursor, so its ledger knows the lines by the export's text`,
      );
    }
    return { kind: 'query', columns, window: queryWindow, why: 'source.domo.read: query' };
  }
  if (!window) return { kind: 'export', why: 'no window to read yet (no delivery.cursor, or no delivery before this run)' };
  if (!queryWindow) return { kind: 'export', why: `the cursor column ${window.column} is ${cursorType}, not DATE or DATETIME, so Domo cannot filter it by time` };
  if (unlike.length) return { kind: 'export', why: unlikeWhy };
  // ASSUMPTION in docs/vendors/domo.md only: under row policies the export is what this client is known to see.
  if (info.pdpEnabled) return { kind: 'export', why: 'row policies (PDP) apply, and no Domo source says the query API applies them as the export does' };
  return { kind: 'query', columns, window: queryWindow, why: 'the job reads a window', fallback: true };
}

/** One line on how the DataSet is read, for the log and the plan. */
export function describeRead(choice: ReadChoice): string {
  if (choice.kind === 'export') return `the whole DataSet, exported as CSV (${choice.why})`;
  const what = choice.window ? `only the rows from ${windowLiteral(choice.window).slice(1, -1)} on (${choice.window.cursor.name})` : 'every row';
  return `${what}, ${choice.columns.length} columns, through Domo's query API (${choice.why})`;
}

/**
 * The rows an export of `info` must hold. Under row policies (pdpEnabled) `rows` counts every row while
 * this client reads only its own, so the count comes from a COUNT(*) through the query API, which applies
 * the same policies (assumption, see docs/vendors/domo.md): a cut-off download is still caught.
 */
export async function expectedRows(domo: DomoClient, info: DataSetInfo): Promise<ExpectedRows> {
  if (!info.pdpEnabled) return { rows: info.rows };
  let visible: number;
  try {
    visible = await domo.countRows(info.id);
  } catch (error) {
    throw new WritebackError(
      `row policies (PDP) apply to DataSet ${info.id}, so its ${n(info.rows)} announced rows say nothing about what this client reads, and counting them through the query API failed (${describeError(error)}); without a count a cut-off export cannot be told from a complete one`,
    );
  }
  return { rows: visible, pdp: { visibleRows: visible, allRows: info.rows } };
}

/** What a read through the query API must return: its COUNT(*) over the same rows. */
async function expectedQueryRows(domo: DomoClient, info: DataSetInfo, window: QueryWindow | undefined): Promise<ExpectedRows> {
  const count = await domo.countRows(info.id, window && windowCondition(window));
  return { rows: count, query: { from: window && windowLiteral(window).slice(1, -1), allRows: info.rows } };
}

export async function exportWithRetries<R extends ExportConsumption>(options: {
  domo: DomoClient;
  datasetId: string;
  /** How to read, once the DataSet's columns are known; the whole export when absent. */
  choose?: (info: DataSetInfo) => ReadChoice;
  onInfo: (info: DataSetInfo, expected: ExpectedRows, read: ReadChoice) => void;
  consume: (csv: Readable, info: DataSetInfo, expected: ExpectedRows) => Promise<R>;
  log: (line: string) => void;
  /** Rows per query page (WRITEBACK_DOMO_QUERY_PAGE_ROWS), asked only when a query is read: a bad setting fails only those. */
  pageRows?: () => number;
}): Promise<R> {
  let lastError: unknown;
  let exportInstead: string | undefined;
  let countsMissed = 0; // query reads whose rows did not match their COUNT(*)
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const info = await options.domo.dataset(options.datasetId);
    const chosen = options.choose?.(info);
    const read: ReadChoice = exportInstead || !chosen ? { kind: 'export', why: exportInstead ?? 'default' } : chosen;
    let result: R | undefined;
    try {
      const pageRows = read.kind === 'query' ? options.pageRows?.() : undefined;
      const expected = read.kind === 'query' ? await expectedQueryRows(options.domo, info, read.window) : await expectedRows(options.domo, info);
      options.onInfo(info, expected, read);
      const csv = read.kind === 'query' ? windowCsv(options.domo, info.id, read.columns, read.window, expected.rows, pageRows) : await options.domo.exportCsv(options.datasetId);
      result = await options.consume(csv, info, expected);
      // A query reads each row of its slices once: any other count means rows came, went or moved meanwhile.
      if (read.kind === 'query' ? result.read !== expected.rows : result.read < expected.rows) {
        const announced = expected.query
          ? `its COUNT(*) over the same rows found ${n(expected.rows)}`
          : expected.pdp
            ? `this client can read ${n(expected.rows)} (row policies apply; ${n(expected.pdp.allRows)} in all)`
            : `the DataSet announces ${n(expected.rows)}`;
        throw new TruncatedExportError(`the ${read.kind === 'query' ? 'query' : 'export'} ${read.kind === 'query' ? 'read' : 'ended after'} ${n(result.read)} rows but ${announced}: ${read.kind === 'query' ? 'rows changed, came or went while it was read' : 'the download was cut off'}`);
      }
      return result;
    } catch (error) {
      result?.dispose();
      if (read.kind === 'query' && error instanceof TruncatedExportError) countsMissed++;
      // auto's query did not work for this DataSet: Domo refused the SQL, the window cannot be read as asked, or its
      // rows and COUNT(*) disagreed twice (a DataSet appended to while read): the export, one snapshot, will, with tries of its own.
      const refused = error instanceof WindowReadError || (error instanceof HttpError && error.status === 400);
      if (read.kind === 'query' && read.fallback && (refused || countsMissed === 2)) {
        exportInstead = `the query API did not serve the window: ${describeError(error)}`;
        options.log(`${exportInstead}; reading the whole export instead`);
        attempt = 0;
        continue;
      }
      // A broken or short download is read again from the start; anything else will not change.
      if (!(error instanceof TruncatedExportError || isNetworkError(error) || isCsvError(error))) throw error;
      lastError = error;
      options.log(`read attempt ${attempt} failed (${describeError(error)})${attempt < MAX_TRIES ? '; retrying' : ''}`);
    }
  }
  throw new WritebackError(`reading Domo DataSet ${options.datasetId} failed ${MAX_TRIES} times; last: ${describeError(lastError)}.`);
}

/** "6,004 rows announced", or what row policies leave this client, or the window's count. */
export function describeRows(expected: ExpectedRows): string {
  if (expected.query) return `${n(expected.rows)} of ${n(expected.query.allRows)} rows${expected.query.from ? ` from ${expected.query.from} on` : ''}, through the query API`;
  return expected.pdp ? `${n(expected.rows)} of ${n(expected.pdp.allRows)} rows visible to this client: row policies (PDP) apply` : `${n(expected.rows)} rows announced`;
}

/** The report's source section. */
export function sourceReport(info: DataSetInfo, expected: ExpectedRows): NonNullable<RunReport['source']> {
  return { datasetId: info.id, datasetName: info.name, rowsAnnounced: info.rows, updatedAt: info.updatedAt, rowPolicies: expected.pdp, ...(expected.query ? { read: 'query' as const, rowsInWindow: expected.rows, windowFrom: expected.query.from } : { read: 'export' as const }) };
}
