/** The installed package's version, from its package.json (two levels up from src/cli/ and from dist/cli/). */
import { readFileSync } from 'node:fs';

export const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
