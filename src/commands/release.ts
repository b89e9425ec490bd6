/** `writeback release NAME --delivered|--not-delivered`: a person's decision about an upload of unknown outcome. */
import { WritebackError } from '../errors/index.ts';
import { StateStore } from '../state/store.ts';
import type { CommandIO } from './io.ts';

export interface ReleaseOptions {
  name: string | undefined;
  delivered: boolean;
  notDelivered: boolean;
}

export function releaseCommand(io: CommandIO, options: ReleaseOptions): number {
  const { name } = options;
  if (!name || options.delivered === options.notDelivered) {
    throw new WritebackError('usage: writeback release NAME --delivered | --not-delivered (say whether Emarsys received the held upload)');
  }
  const store = new StateStore(io.root, name);
  const lock = store.lock(`release-${Date.now()}`);
  try {
    const state = store.load('');
    if (!state.pending && !state.held) {
      io.out(`${name}: not held; nothing to release`);
      return 0;
    }
    const pending = state.pending;
    if (pending) {
      if (options.delivered) {
        pending.segment.acceptedAt = new Date().toISOString();
        state.segments.push(pending.segment);
        io.out(`${name}: recorded upload ${pending.part} (${pending.lines} lines) as delivered; those lines will never be sent again`);
      } else {
        store.deleteSegment(pending.segment.file);
        io.out(`${name}: recorded upload ${pending.part} (${pending.lines} lines) as not delivered; the next run sends them`);
      }
    }
    state.pending = undefined;
    state.held = undefined;
    store.save(state);
    io.out(`${name}: released; commit state/${name}.json (and state/${name}/) so the scheduled runs see it`);
    return 0;
  } finally {
    lock.release();
  }
}
