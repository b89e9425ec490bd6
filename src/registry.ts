/**
 * The one list of destination modules. A new destination is a folder under src/destinations/ exporting a
 * DestinationModule, and one line here (docs/adding-a-destination.md). Tests and embedders may register
 * more at run time with registerDestination.
 */
import type { DestinationModule, DefinitionOf } from './jobs/destination.ts';
import type { JobState } from './state/job-state.ts';
import type { StateStore } from './state/store.ts';
import { dotdigitalContacts } from './destinations/dotdigital/index.ts';
import { emarsysSales } from './destinations/emarsys/index.ts';

const BUILT_IN = [emarsysSales, dotdigitalContacts] as const;

/** Every kind of definition the built-in modules know. */
export type Definition = DefinitionOf<(typeof BUILT_IN)[number]>;

const modules: DestinationModule[] = [...BUILT_IN];

/** The registered modules, in registration order (the built-in ones first). */
export function destinations(): readonly DestinationModule[] {
  return modules;
}

/** The module of a kind, or undefined for a kind nobody registered. */
export function destinationFor(kind: string): DestinationModule | undefined {
  return modules.find((m) => m.kind === kind);
}

/** Registers another module (replacing one of the same kind). */
export function registerDestination(module: DestinationModule): void {
  const at = modules.findIndex((m) => m.kind === module.kind);
  if (at >= 0) modules.splice(at, 1, module);
  else modules.push(module);
}

/**
 * A job's state as its module reads it (upgraded from earlier versions, checked), or with the shared
 * fields only for a kind nobody registered. `kind` is the definition's, for a job that never ran.
 */
export function loadState(store: StateStore, kind: string): JobState {
  const state = store.load(kind);
  const module = destinationFor(state.kind || kind);
  return module?.readState?.(state) ?? state;
}

/** Whether a job waits for a person's decision: its state says so, or its module does. */
export function heldReason(state: JobState): string | undefined {
  return destinationFor(state.kind)?.hold?.held(state, state.name)?.message ?? state.held?.reason;
}
