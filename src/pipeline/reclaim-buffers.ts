/**
 * Frees the buffers of network and file streams as a job goes. Every socket read and every file read
 * of an upload allocates a new 64 KB buffer; V8 frees them at its next young-generation collection,
 * which here comes rarely, as the hot paths allocate almost nothing on the JavaScript heap. Measured on
 * 1M rows: up to 34 MB of dead buffers at a time, a fifth of the runner's peak memory. A minor
 * collection every 50 ms while data moves (under 1 ms each: what is left alive is small) keeps them freed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const EVERY_MS = 50;

type Collect = (options: { type: 'minor' }) => void;
let collect: Collect | undefined;

/** V8's gc() with the collection type as its option, exposed once (as `node --expose-gc` would). */
function minorCollector(): Collect {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  }
  return collect;
}

/** Collects the young generation every 50 ms until the returned function is called. */
export function reclaimBuffersWhileRunning(): () => void {
  const gc = minorCollector();
  const timer = setInterval(() => gc({ type: 'minor' }), EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
