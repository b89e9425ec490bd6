/** The ledger's cost in the repository: what 1M delivered lines take, how fast they load, what 1,000 more add. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hashKey } from '../src/state/key-hasher.ts';
import { StateStore } from '../src/state/store.ts';
import type { LedgerSegment } from '../src/destinations/emarsys/state.ts';
import { LedgerFiles } from '../src/destinations/emarsys/ledger-files.ts';
import { salesState } from '../src/destinations/emarsys/state.ts';

function segment(store: StateStore, runId: string, from: number, count: number): LedgerSegment {
  const files = new LedgerFiles(store);
  const pairs = new Uint32Array(count * 2);
  for (let i = 0; i < count; i++) hashKey(`WS-${from + i}\u001fSKU-${(from + i) % 800}`, pairs, i * 2);
  return { ...files.writeSegment(runId, 1, [pairs]), lines: count, runId, acceptedAt: new Date().toISOString() };
}

const sizeOf = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

export function measureLedger(root: string) {
  const store = new StateStore(root, 'ledger');
  const state = salesState(store.load('EmarsysSalesWriteback'));
  // Ten runs of 100,000 lines each.
  for (let run = 0; run < 10; run++) state.segments.push(segment(store, `run${run}`, run * 100_000, 100_000));
  store.save(state);
  const before = sizeOf(store.dir) + statSync(store.file).size;
  const started = performance.now();
  const loaded = new LedgerFiles(store).load(state.segments);
  const loadSecondsFor1M = (performance.now() - started) / 1000;
  if (loaded.size !== 1_000_000) throw new Error(`ledger holds ${loaded.size} fingerprints`);
  state.segments.push(segment(store, 'run10', 1_000_000, 1000));
  store.save(state);
  const after = sizeOf(store.dir) + statSync(store.file).size;
  return { bytesFor1M: before, loadSecondsFor1M, bytesAddedFor1k: after - before };
}
