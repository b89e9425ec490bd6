/** Reading a whole DataSet export, again from the start when the download breaks off or comes back short. */
import { count as n } from '../../reports/count.ts';
import type { RunReport } from '../../reports/run-report.ts';
import type { Readable } from 'node:stream';
import { describeError, TruncatedExportError, WritebackError } from '../../errors/index.ts';
import type { Redactor } from '../../http/redact.ts';
import { isNetworkError, MAX_TRIES } from '../../http/retry.ts';
import { HttpClient } from '../../http/client.ts';
import type { DomoSource } from '../../definitions/types.ts';
import type { SecretResolver } from '../../secrets.ts';
import { httpSettings } from '../../settings.ts';
import { DOMO_DEFAULT_URL, DomoClient, type DataSetInfo } from './client.ts';


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

export async function exportWithRetries<R extends ExportConsumption>(options: {
  domo: DomoClient;
  datasetId: string;
  onInfo: (info: DataSetInfo, expected: ExpectedRows) => void;
  consume: (csv: Readable, info: DataSetInfo, expected: ExpectedRows) => Promise<R>;
  log: (line: string) => void;
}): Promise<R> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const info = await options.domo.dataset(options.datasetId);
    const expected = await expectedRows(options.domo, info);
    options.onInfo(info, expected);
    let result: R | undefined;
    try {
      result = await options.consume(await options.domo.exportCsv(options.datasetId), info, expected);
      if (result.read < expected.rows) {
        const announced = expected.pdp ? `this client can read ${n(expected.rows)} (row policies apply; ${n(expected.pdp.allRows)} in all)` : `the DataSet announces ${n(expected.rows)}`;
        throw new TruncatedExportError(`the export ended after ${n(result.read)} rows but ${announced}: the download was cut off`);
      }
      return result;
    } catch (error) {
      result?.dispose();
      // A broken or short download is read again from the start; anything else will not change.
      if (!(error instanceof TruncatedExportError || isNetworkError(error) || isCsvError(error))) throw error;
      lastError = error;
      options.log(`export attempt ${attempt} failed (${describeError(error)})${attempt < MAX_TRIES ? '; retrying' : ''}`);
    }
  }
  throw new WritebackError(`Domo export of ${options.datasetId} failed ${MAX_TRIES} times; last: ${describeError(lastError)}.`);
}

/** "6,004 rows announced", or what row policies leave this client. */
export function describeRows(expected: ExpectedRows): string {
  return expected.pdp ? `${n(expected.rows)} of ${n(expected.pdp.allRows)} rows visible to this client: row policies (PDP) apply` : `${n(expected.rows)} rows announced`;
}

/** The report's source section. */
export function sourceReport(info: DataSetInfo, expected: ExpectedRows): NonNullable<RunReport['source']> {
  return { datasetId: info.id, datasetName: info.name, rowsAnnounced: info.rows, updatedAt: info.updatedAt, rowPolicies: expected.pdp };
}
