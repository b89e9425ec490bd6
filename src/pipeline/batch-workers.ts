/**
 * Runs one batch function over a stream of batches, in this thread or in worker threads. The scan hands
 * batches over round robin and awaits the answers in the order it asked, so the output keeps the
 * export's order. Buffers travel instead of being copied or collected: a batch moves to its worker and
 * comes back with the answer to hold a later batch, and a used answer goes back to be written over.
 * (New buffers for every batch made the garbage collector run a full collection 45 times per 1M rows.)
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { keepAll, LineBuffer } from './line-buffer.ts';

/** Formats one batch, writing into `spare` (an answer given back) when it is large enough. */
export type BatchFunction<R> = (batch: Buffer, spare: R | undefined) => R;

export interface BatchRunner<R> {
  /** Formats a batch; its buffer belongs to the runner from now on. */
  run(batch: Buffer): Promise<R>;
  /** Gives an answer's buffers back once it was used, to be written over by a later batch. */
  recycle(result: R): void;
  /** A buffer of `size` bytes for the next batch: a batch given back, or a new one. */
  allocate(size: number): Buffer;
  close(): Promise<void>;
}

/**
 * A buffer of its own memory (it may move to another thread) of `size` bytes, reusing `spare` when it
 * is large enough. New ones get a quarter more, so that a batch a little larger than the last still fits.
 */
export function ownBuffer(size: number, spare?: Uint8Array): Buffer {
  if (spare && spare.buffer.byteLength >= size) return Buffer.from(spare.buffer, 0, size);
  return Buffer.from(new ArrayBuffer(Math.ceil((size * 1.25) / 65536) * 65536), 0, size);
}

/**
 * Where a batch's lines are written: room for about as much as its records (values grow by a few bytes on
 * the way), in the buffer of a used answer's lines when that is large enough. It grows keeping every line.
 */
export function batchLineBuffer(bytes: Buffer, spareLines?: Uint8Array): LineBuffer {
  const room = Math.ceil(bytes.length * 1.25) + 4096;
  return new LineBuffer(spareLines && spareLines.buffer.byteLength >= room ? Buffer.from(spareLines.buffer) : ownBuffer(room), keepAll);
}

/**
 * How many lines a batch's per-line arrays hold at first: a line per 32 bytes of records (at least 64), or
 * more when the used answer's arrays (`spareEnds` among them) are that large, which are then written over.
 */
export function perLineCapacity(bytes: Buffer, spareEnds?: Uint32Array): { capacity: number; reuse: boolean } {
  const expected = bytes.length >> 5;
  const spare = spareEnds ? spareEnds.buffer.byteLength / 4 : 0;
  return spareEnds && spare >= expected ? { capacity: spare, reuse: true } : { capacity: Math.max(64, expected), reuse: false };
}

type PerLineArray = Uint32Array | Float64Array;

/** A per-line array of `length` items, over the buffer of `spare` (a used answer's, see perLineCapacity) or a new one. */
export function perLine<T extends PerLineArray>(kind: { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number }, length: number, spare?: T): T {
  return new kind((spare?.buffer as ArrayBuffer | undefined) ?? new ArrayBuffer(length * kind.BYTES_PER_ELEMENT), 0, length);
}

/** A batch's lines as a Buffer: answers from a worker arrive as plain byte arrays. */
export function linesOf(lines: Uint8Array): Buffer {
  return Buffer.isBuffer(lines) ? lines : Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength);
}

/** A copy of `array` with room for `size` items: a batch's per-line numbers when it has more lines than expected. */
export function grown<T extends PerLineArray>(array: T, size: number): T {
  const bigger = new (array.constructor as new (size: number) => T)(size);
  bigger.set(array);
  return bigger;
}

/** Runs the batch function in this thread: for small exports, where a worker costs more than it saves. */
export class InlineRunner<R> implements BatchRunner<R> {
  private spare: R | undefined;
  private input: Buffer | undefined;

  constructor(private readonly format: BatchFunction<R>) {}

  async run(batch: Buffer): Promise<R> {
    const result = this.format(batch, this.spare);
    this.spare = undefined;
    this.input = batch; // the answer holds no reference to it
    return result;
  }

  recycle(result: R): void {
    this.spare = result;
  }

  allocate(size: number): Buffer {
    const buffer = ownBuffer(size, this.input);
    this.input = undefined;
    return buffer;
  }

  async close(): Promise<void> {}
}

type Request<R> = { id: number; batch: Uint8Array; spare?: R };
/** A worker's answer: the result and the batch's buffer back, or the message of an error it did not expect. */
type Answer<R> = { id: number; result: R; batch: Uint8Array } | { id: number; failure: string };

/**
 * Detaches a throwaway buffer before any batch code runs hot. V8 optimizes typed-array access on the
 * promise that no ArrayBuffer in the thread was ever detached (its "detaching protector"); the first answer
 * a worker hands back breaks it, and every function optimized so far is thrown away and compiled again:
 * with --trace-deopt, the 15 functions of a worker's formatting path ("marking dependent code ... code
 * dependencies"), a fifth to a quarter of a run's optimizing compilations. Broken first, it costs nothing.
 */
function breakDetachProtector(): void {
  const throwaway = new ArrayBuffer(8);
  structuredClone(throwaway, { transfer: [throwaway] });
}

/** Worker memory is capped: the runner's peak must stay flat (README, "Performance": under 150 MB at any export size). */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 };

/** Starts a worker on `entry`; a TypeScript entry (the sources run through tsx) loads through tsx too. */
function startWorker(entry: URL, config: unknown): Worker {
  const options = { workerData: config, resourceLimits: RESOURCE_LIMITS };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), options);
}

/** The module beside `moduleUrl` named `name`, with the same extension (.ts in the sources, .js when built). */
export function siblingModule(moduleUrl: string, name: string): URL {
  return new URL(`./${name}${moduleUrl.endsWith('.ts') ? '.ts' : '.js'}`, moduleUrl);
}

export class BatchWorkers<R extends object> implements BatchRunner<R> {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (result: R) => void; reject: (error: Error) => void }>();
  /** Which worker made an answer, so its buffers go back to that worker. */
  private readonly madeBy = new WeakMap<R, number>();
  private readonly spares: (R | undefined)[] = [];
  private readonly inputs: Uint8Array[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  /** `entry` calls serveBatches(); `transferables` lists the buffers of an answer. */
  constructor(
    entry: URL,
    config: unknown,
    size: number,
    private readonly transferables: (result: R) => ArrayBuffer[],
  ) {
    for (let i = 0; i < size; i++) {
      const worker = startWorker(entry, config);
      worker.on('message', (answer: Answer<R>) => {
        const waiter = this.waiting.get(answer.id);
        if (!waiter) return; // the workers failed or were closed meanwhile
        this.waiting.delete(answer.id);
        if ('failure' in answer) return waiter.reject(new Error(answer.failure));
        this.inputs.push(answer.batch);
        this.madeBy.set(answer.result, i);
        waiter.resolve(answer.result);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`a batch worker stopped (exit code ${code})`)));
      this.workers.push(worker);
    }
  }

  run(batch: Buffer): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = id % this.workers.length;
    const promise = new Promise<R>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    const spare = this.spares[worker];
    this.spares[worker] = undefined;
    const transfer = [batch.buffer as ArrayBuffer, ...(spare ? this.transferables(spare) : [])];
    this.workers[worker]!.postMessage({ id, batch, spare } satisfies Request<R>, transfer);
    return promise;
  }

  recycle(result: R): void {
    const worker = this.madeBy.get(result);
    if (worker !== undefined) this.spares[worker] = result;
  }

  allocate(size: number): Buffer {
    return ownBuffer(size, this.inputs.pop());
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the batch workers were closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(this.failure);
    this.waiting.clear();
  }
}

/**
 * The worker's side: builds the batch function from the config the workers were started with, then
 * answers each batch with its result, moving the result's buffers and the batch's back.
 */
export function serveBatches<C, R>(make: (config: C) => BatchFunction<R>, transferables: (result: R) => ArrayBuffer[]): void {
  breakDetachProtector();
  const format = make(workerData as C);
  parentPort!.on('message', ({ id, batch, spare }: Request<R>) => {
    try {
      const result = format(Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength), spare);
      parentPort!.postMessage({ id, result, batch } satisfies Answer<R>, [...transferables(result), batch.buffer as ArrayBuffer]);
    } catch (error) {
      parentPort!.postMessage({ id, failure: error instanceof Error ? error.message : String(error) } satisfies Answer<R>);
    }
  });
}
