/** `writeback release NAME --delivered|--not-delivered`: a person's decision about a held job. */
import { UsageError } from '../errors/index.ts';
import { validateRepository } from '../definitions/validator.ts';
import { destinationFor, heldReason, loadState } from '../registry.ts';
import { StateStore } from '../state/store.ts';
import { stateBranchName } from '../reconcile/github-session.ts';
import type { CommandIO } from './io.ts';

export interface ReleaseOptions {
  name: string | undefined;
  delivered: boolean;
  notDelivered: boolean;
}

export function releaseCommand(io: CommandIO, options: ReleaseOptions): number {
  const { name } = options;
  if (!name || options.delivered === options.notDelivered) {
    throw new UsageError('say whether the destination received the held upload: writeback release NAME --delivered | --not-delivered');
  }
  const store = new StateStore(io.root, name);
  if (!store.exists() && !validateRepository(io.root, undefined, io.env).definitions.some((d) => d.definition.metadata.name === name)) {
    throw new UsageError(`there is no job named ${name} (no definition connectors/${name}.yaml, no state/${name}.json)`);
  }
  const lock = store.lock(`release-${Date.now()}`);
  try {
    const state = loadState(store, '');
    if (!heldReason(state)) {
      io.out(`${name}: not held; nothing to release`);
      return 0;
    }
    for (const line of destinationFor(state.kind)?.hold?.release(state, store, options.delivered) ?? []) io.out(line);
    state.held = undefined;
    store.save(state);
    io.out(`${name}: released${stateBranchName(io.env) ? '' : `; commit state/${name}.json (and state/${name}/) so the scheduled runs see it`}`);
    return 0;
  } finally {
    lock.release();
  }
}
