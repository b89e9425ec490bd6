/** Reading a whole DataSet export, again from the start when the download breaks off or comes back short. */
import { count as n } from '../../reports/count.ts';
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

export async function exportWithRetries<R extends ExportConsumption>(options: {
  domo: DomoClient;
  datasetId: string;
  onInfo: (info: DataSetInfo) => void;
  consume: (csv: Readable, info: DataSetInfo) => Promise<R>;
  log: (line: string) => void;
}): Promise<R> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const info = await options.domo.dataset(options.datasetId);
    options.onInfo(info);
    let result: R | undefined;
    try {
      result = await options.consume(await options.domo.exportCsv(options.datasetId), info);
      if (result.read < info.rows) {
        throw new TruncatedExportError(`the export ended after ${n(result.read)} rows but the DataSet announces ${n(info.rows)}: the download was cut off`);
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
