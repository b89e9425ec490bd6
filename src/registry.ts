/**
 * The one list of destination modules. A new destination is a folder under src/destinations/ exporting a
 * DestinationModule, and one line here (docs/adding-a-destination.md). Tests and embedders may register
 * more at run time with registerDestination.
 */
import type { DestinationModule, DefinitionOf } from './jobs/destination.ts';
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
