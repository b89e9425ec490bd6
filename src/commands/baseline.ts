/**
 * `writeback baseline NAME [--until CURSOR] [--yes]`: records what the destination already holds as
 * delivered, without sending it, for the kinds that keep such a memory (a ledger of delivered lines). Shows what
 * it would record; records only with --yes.
 */
import { UsageError, WritebackError } from '../errors/index.ts';
import { validateRepository } from '../definitions/validator.ts';
import { destinationFor } from '../registry.ts';
import type { CommandIO } from './io.ts';

export async function baselineCommand(io: CommandIO, options: { name?: string; until?: string; yes: boolean }): Promise<number> {
  const { name } = options;
  if (!name) throw new WritebackError('usage: writeback baseline NAME [--until CURSOR] [--yes]');
  const loaded = validateRepository(io.root, undefined, io.env).definitions.find((d) => d.definition.metadata.name === name);
  if (!loaded) throw new UsageError(`no valid definition named ${name} in connectors/ (see: npx writeback validate)`);
  const module = destinationFor(loaded.definition.kind)!;
  if (!module.baseline) throw new WritebackError(`${name} is a ${module.kind}: it keeps no memory of delivered ${module.unit.many} to baseline (sending them again does no harm)`);
  return module.baseline(io, loaded.definition, { until: options.until, yes: options.yes });
}
