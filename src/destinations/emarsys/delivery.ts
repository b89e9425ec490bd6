/**
 * Exactly-once delivery of spooled parts. For each part: record the intent (pending + its fingerprints)
 * durably, upload, then record acceptance. A crash or an unanswered upload leaves the intent behind,
 * which holds the job until a person says whether Emarsys got the file.
 */
import { count } from '../../reports/count.ts';
import { describeError, HttpError, UnknownOutcomeError, WritebackError } from '../../errors/index.ts';
import { partChecksum, type SpoolPart } from '../../pipeline/spool.ts';
import { isoUtc } from '../../pipeline/values.ts';
import { csvField } from '../../pipeline/csv-records.ts';
import type { StateStore } from '../../state/store.ts';
import { BodyReadError, type EmarsysSalesClient } from './client.ts';
import { LedgerFiles } from './ledger-files.ts';
import type { UploadRecord } from './report.ts';
import type { LedgerSegment, SalesState } from './state.ts';

export type DeliveryOutcome =
  | { kind: 'delivered'; sent: number; uploads: UploadRecord[] }
  | { kind: 'rejected'; sent: number; uploads: UploadRecord[]; error: Error }
  | { kind: 'unknown'; sent: number; uploads: UploadRecord[]; error: UnknownOutcomeError }
  /** SIGINT or SIGTERM arrived: the uploads before it are recorded, none was started after it. */
  | { kind: 'interrupted'; sent: number; uploads: UploadRecord[]; signal: string };

export async function deliverParts(options: {
  runId: string;
  parts: SpoolPart[];
  state: SalesState;
  store: StateStore;
  client: EmarsysSalesClient;
  now: () => Date;
  log: (line: string) => void;
  /** Makes the saved state durable beyond this machine (the intent branch inside GitHub Actions). */
  journal?: () => Promise<void>;
  /** Aborted on SIGINT/SIGTERM (its reason names the signal): no upload starts after that. */
  signal?: AbortSignal;
  /** The field of a line that holds its order id, for the intent's first and last order. */
  orderColumn?: number;
}): Promise<DeliveryOutcome> {
  const { runId, parts, state, store, client, now, log } = options;
  const ledger = new LedgerFiles(store);
  const journal = options.journal ?? (async () => {});
  const forget = (segment: LedgerSegment) => {
    ledger.deleteSegment(segment.file);
    state.pending = undefined;
    store.save(state);
  };
  const uploads: UploadRecord[] = [];
  let sent = 0;
  for (const part of parts) {
    if (options.signal?.aborted) return { kind: 'interrupted', sent, uploads, signal: String(options.signal.reason) };
    await client.prepare(part); // before the intent: failing here, nothing can have left
    const sha256 = partChecksum(part);
    const segment: LedgerSegment = {
      ...ledger.writeSegment(runId, part.index, part.fingerprintChunks()),
      lines: part.lines,
      maxCursor: part.maxCursor === undefined ? undefined : isoUtc(part.maxCursor),
      runId,
      acceptedAt: '',
    };
    state.pending = {
      runId,
      part: part.index,
      parts: parts.length,
      lines: part.lines,
      bytes: part.bytes,
      sha256,
      segment,
      startedAt: now().toISOString(),
      orders: part.distinctValues,
      firstOrder: options.orderColumn === undefined ? undefined : csvField(part.firstLine, options.orderColumn),
      lastOrder: options.orderColumn === undefined ? undefined : csvField(part.lastLine, options.orderColumn),
    };
    try {
      store.save(state); // the intent is on disk before a byte leaves
    } catch (error) {
      ledger.deleteSegment(segment.file);
      state.pending = undefined;
      throw error; // nothing was sent
    }
    try {
      await journal();
    } catch (error) {
      forget(segment); // nothing was sent: an intent that cannot be made durable stops the delivery
      return { kind: 'rejected', sent, uploads, error: new WritebackError(`could not record the delivery intent before upload ${part.index}: ${describeError(error)}`) };
    }
    const record: UploadRecord = { part: part.index, lines: part.lines, bytes: part.bytes, sha256, outcome: 'unknown' };
    uploads.push(record);
    try {
      await client.upload(part);
    } catch (error) {
      // Emarsys answered no, or the file never left whole: nothing of this part arrived, so forget the intent.
      if (error instanceof HttpError || error instanceof BodyReadError) {
        record.outcome = 'rejected';
        forget(segment);
        await journal().catch(() => log('  (could not update the intent branch; the next run will ask whether this upload arrived)'));
        return { kind: 'rejected', sent, uploads, error };
      }
      // Anything else after the request may have left: the intent stays, and the job is held.
      if (error instanceof UnknownOutcomeError) return { kind: 'unknown', sent, uploads, error };
      return { kind: 'unknown', sent, uploads, error: new UnknownOutcomeError(`the upload ended in an unexpected error (${describeError(error)}); it may or may not have been accepted`) };
    }
    record.outcome = 'accepted';
    segment.acceptedAt = now().toISOString();
    state.segments.push(segment);
    state.pending = undefined;
    try {
      store.save(state);
    } catch (error) {
      // The file on disk still holds the intent, so the next run is held rather than sending it again.
      throw new WritebackError(
        `Emarsys accepted upload ${part.index} of ${parts.length} (${count(part.lines)} lines), but recording that failed: ${describeError(error)} ` +
          `Until the state is written the job is held; once it is fixed, run again, and if the job is held run: npx writeback release ${store.name} --delivered.`,
      );
    }
    await journal().catch(() => log('  (could not update the intent branch; the reconcile commit will carry this acceptance)'));
    sent += part.lines;
    log(`  upload ${part.index}/${parts.length}: ${count(part.lines)} lines accepted`);
  }
  return { kind: 'delivered', sent, uploads };
}
