/** What every Emarsys run needs before reading: the resolved credentials and a client, and the ledger's verdict. */
import { basename, extname } from 'node:path';
import { listDefinitionFiles } from '../../definitions/files.ts';
import { HttpClient } from '../../http/client.ts';
import type { Redactor } from '../../http/redact.ts';
import type { SecretResolver } from '../../secrets.ts';
import { httpSettings } from '../../settings.ts';
import { orphanStates } from '../../state/store.ts';
import { EMARSYS_DEFAULT_URL, EmarsysSalesClient } from './client.ts';
import { checkLedger, hasDeliveries, type LedgerCheck } from './ledger.ts';
import type { EmarsysSalesSpec } from './spec.ts';
import { salesState, type SalesState } from './state.ts';
import { parseDuration } from '../../definitions/duration.ts';

/** The largest upload (WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES, default 20 MB): larger deliveries are split. */
export function maxUploadBytes(env: NodeJS.ProcessEnv): number {
  const value = Number(env.WRITEBACK_EMARSYS_MAX_UPLOAD_BYTES);
  return Number.isFinite(value) && value > 0 ? value : 20 * 1024 * 1024;
}

/** WRITEBACK_EMARSYS_GZIP=true sends files gzip-compressed (undocumented by Emarsys, used by a production client). */
export const gzipUploads = (env: NodeJS.ProcessEnv): boolean => /^(1|true|yes)$/i.test(env.WRITEBACK_EMARSYS_GZIP ?? '');

/** How far ahead of now a cursor value may lie (WRITEBACK_CURSOR_TOLERANCE, a duration; default 1d: zone-less local times east of UTC). */
export function cursorToleranceMs(env: NodeJS.ProcessEnv): number {
  return parseDuration(env.WRITEBACK_CURSOR_TOLERANCE ?? '') ?? 86_400_000;
}

export function connectEmarsys(spec: EmarsysSalesSpec, job: string, secrets: SecretResolver, env: NodeJS.ProcessEnv, redactor: Redactor): { client: EmarsysSalesClient; merchantId: string } {
  const merchantId = secrets.resolve(job, spec.destination.emarsysSales.merchantId);
  const token = secrets.resolve(job, spec.destination.emarsysSales.token);
  const http = new HttpClient({ service: 'Emarsys', baseUrl: env.EMARSYS_SALES_API_URL || EMARSYS_DEFAULT_URL, redactor, ...httpSettings(env) });
  return { client: new EmarsysSalesClient(http, merchantId, token, gzipUploads(env)), merchantId };
}

/** The ledger's verdict for this job now (see ledger.ts), with the orphaned states of the repository. */
export function ledgerVerdict(root: string, name: string, spec: EmarsysSalesSpec, state: SalesState, merchantId: string | undefined, env: NodeJS.ProcessEnv, definitionHash: string, now = Date.now()): LedgerCheck {
  const jobs = new Set(listDefinitionFiles(root).map((file) => basename(file, extname(file))));
  jobs.add(name);
  const orphans = hasDeliveries(state) ? [] : orphanStates(root, jobs).map((o) => ({ name: o.name, state: salesState(o.state) }));
  return checkLedger({ name, spec, state, merchantId, orphans, now, cursorToleranceMs: cursorToleranceMs(env), definitionHash });
}
