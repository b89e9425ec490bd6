/** A definition's fingerprint, recorded with each run: whether it changed since, without keeping it. */
import { createHash } from 'node:crypto';

export function definitionHash(definition: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(definition)).digest('hex')}`;
}
