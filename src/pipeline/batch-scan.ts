/**
 * The loop of a destination's scan: the export cut into batches of whole records, each formatted by a
 * batch runner (in this thread or in workers, a few batches in flight to keep every worker busy), and the
 * answers handed back in export order, where what depends on order (row numbers, duplicates, state) is done.
 */
import type { Readable } from 'node:stream';
import { BatchWorkers, InlineRunner, type BatchFunction, type BatchRunner } from './batch-workers.ts';
import { readHeader } from './csv-records.ts';
import { recordBatches } from './record-batches.ts';

export interface BatchScan<R> {
  /** The header row: checks it, and says how batches are formatted. */
  start(header: string[]): BatchFormatting<R>;
  /** A formatted batch, in export order; its buffers are reused once this returns. */
  add(result: R): void;
  /**
   * Called once, when the first batch has gone to the runner: worker threads take 0.1-0.3 s to start,
   * which this thread would otherwise spend waiting (for work that can wait until then, such as loading state).
   */
  firstBatchSent?(): void;
}

/** A batch function for this thread, and the worker entry that builds the same one from `config`. */
export interface BatchFormatting<R> {
  inline: () => BatchFunction<R>;
  worker: { entry: URL; config: unknown; transferables: (result: R) => ArrayBuffer[] };
}

/** Runs the scan over `input`; returns false when not even a header row came. */
export async function scanBatches<R extends object>(input: Readable, scan: BatchScan<R>, options: { workers?: number; batchBytes?: number } = {}): Promise<boolean> {
  const workers = options.workers ?? 0;
  let runner: BatchRunner<R> | undefined;
  const inFlight: Promise<R>[] = [];
  const maxInFlight = 2 * Math.max(1, workers);
  let sent = false;
  const add = (result: R) => {
    scan.add(result);
    runner!.recycle(result);
  };
  try {
    // Batch buffers come from the runner once it gave some back; before the header there is none.
    for await (let batch of recordBatches(input, (size) => runner?.allocate(size) ?? Buffer.allocUnsafeSlow(size), options.batchBytes)) {
      if (!runner) {
        const header = readHeader(batch);
        if (!header) continue;
        const formatting = scan.start(header.fields);
        const { entry, config, transferables } = formatting.worker;
        runner = workers > 0 ? new BatchWorkers<R>(entry, config, workers, transferables) : new InlineRunner<R>(formatting.inline());
        batch = batch.subarray(header.end);
        if (!batch.length) continue;
      }
      const answer = runner.run(batch);
      answer.catch(() => {}); // awaited in turn below; a failure before its turn must not go unhandled
      inFlight.push(answer);
      if (!sent) {
        sent = true;
        scan.firstBatchSent?.();
      }
      if (inFlight.length >= maxInFlight) add(await inFlight.shift()!);
    }
    while (inFlight.length) add(await inFlight.shift()!);
  } finally {
    await runner?.close();
  }
  return runner !== undefined;
}

