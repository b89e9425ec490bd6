/** What every Emarsys command needs before reading: the resolved credentials, the ledger's verdict, the scan. */
import { listDefinitionFiles } from '../../definitions/validator.ts';
import type { EmarsysSalesSpec } from '../../definitions/types.ts';
import { HttpClient } from '../../http/client.ts';
import type { Redactor } from '../../http/redact.ts';
import type { SecretResolver } from '../../secrets.ts';
import { cursorToleranceMs, emarsysGzip, formatWorkers, httpSettings } from '../../settings.ts';
import type { DomoClient } from '../../sources/domo/client.ts';
import { exportWithRetries, type ExpectedRows } from '../../sources/domo/export.ts';
import type { JobState } from '../../state/job-state.ts';
import { orphanStates } from '../../state/store.ts';
import { basename, extname } from 'node:path';
import { EMARSYS_DEFAULT_URL, EmarsysSalesClient } from './client.ts';
import { checkLedger, hasDeliveries, type LedgerCheck } from './ledger.ts';
import { scanSalesExport, type ScanResult } from './sales-export.ts';
import { count as n } from '../../reports/count.ts';
import type { DataSetInfo } from '../../sources/domo/client.ts';

export function connectEmarsys(spec: EmarsysSalesSpec, job: string, secrets: SecretResolver, env: NodeJS.ProcessEnv, redactor: Redactor): { client: EmarsysSalesClient; merchantId: string } {
  const merchantId = secrets.resolve(job, spec.destination.emarsysSales.merchantId);
  const token = secrets.resolve(job, spec.destination.emarsysSales.token);
  const http = new HttpClient({ service: 'Emarsys', baseUrl: env.EMARSYS_SALES_API_URL || EMARSYS_DEFAULT_URL, redactor, ...httpSettings(env) });
  return { client: new EmarsysSalesClient(http, merchantId, token, emarsysGzip(env)), merchantId };
}

/** The ledger's verdict for this job now (see ledger.ts), with the orphaned states of the repository. */
export function ledgerVerdict(root: string, name: string, spec: EmarsysSalesSpec, state: JobState, merchantId: string | undefined, env: NodeJS.ProcessEnv, definitionHash: string, now = Date.now()): LedgerCheck {
  const jobs = new Set(listDefinitionFiles(root).map((file) => basename(file, extname(file))));
  jobs.add(name);
  return checkLedger({ name, spec, state, merchantId, orphans: hasDeliveries(state) ? [] : orphanStates(root, jobs), now, cursorToleranceMs: cursorToleranceMs(env), definitionHash });
}

/** Exports the DataSet and scans it against the ledger, within the verdict's window. */
export function scanSales(options: {
  domo: DomoClient;
  spec: EmarsysSalesSpec;
  env: NodeJS.ProcessEnv;
  check: Pick<LedgerCheck, 'windowStart' | 'cursorLimit' | 'meaning' | 'fieldOrder' | 'cursor'> & { windowEnd?: number };
  ledger: ScanOptionsLedger;
  onInfo?: (info: DataSetInfo, expected: ExpectedRows, workers: number) => void;
  log?: (line: string) => void;
}): Promise<ScanResult> {
  const { domo, spec, env, check } = options;
  let workers = 0;
  return exportWithRetries({
    domo,
    datasetId: spec.source.domo.datasetId,
    onInfo: (info, expected) => {
      workers = formatWorkers(env, expected.rows);
      options.onInfo?.(info, expected, workers);
    },
    consume: (csv, _info, expected) =>
      scanSalesExport(csv, {
        spec: { ...spec, fieldOrder: check.fieldOrder },
        ledger: options.ledger,
        windowStart: check.windowStart,
        cursorLimit: check.cursorLimit,
        windowEnd: check.windowEnd,
        deliveredUpTo: check.cursor,
        keyEncoding: check.meaning.keyEncoding,
        expectedRows: expected.rows,
        workers,
        maxPartBytes: httpSettings(env).emarsysMaxUploadBytes,
        progress: options.log ? (rows) => options.log!(`  ${n(rows)} rows read`) : undefined,
      }),
    log: options.log ?? (() => {}),
  });
}

type ScanOptionsLedger = Parameters<typeof scanSalesExport>[1]['ledger'];
