/** Parses a CSV byte stream into rows of strings, with limits that keep hostile input bounded. */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/** A field larger than this is refused rather than buffered (a broken quote would swallow the file). */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export function csvRows(input: Readable): AsyncIterable<string[]> {
  const parser = parse({ bom: true, relax_column_count: false, max_record_size: MAX_RECORD_BYTES, skip_empty_lines: true });
  // pipe() does not forward errors: a connection reset must fail the parse, not end it quietly.
  input.on('error', (error) => parser.destroy(error));
  return input.pipe(parser);
}
