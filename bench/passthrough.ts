/**
 * Reference 1: a bare parse-and-write pass-through in Node with the same CSV library (papaparse) and
 * line writer: select, rename and order the columns, nothing else. Usage: passthrough.ts IN OUT
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { csvLine } from '../src/pipeline/csv-line.ts';
import { readCsv } from '../src/pipeline/csv-rows.ts';
import { BENCH_COLUMNS } from './columns.ts';

const started = performance.now();
const out = createWriteStream(process.argv[3]!);
let indexes: number[] | undefined;
let buffer = '';
await readCsv(createReadStream(process.argv[2]!), (rows) => {
  for (const row of rows) {
    if (!indexes) {
      indexes = BENCH_COLUMNS.map(([column]) => row.indexOf(column));
      buffer += csvLine(BENCH_COLUMNS.map(([, field]) => field));
      continue;
    }
    buffer += csvLine(indexes.map((i) => row[i]!));
  }
  out.write(buffer);
  buffer = '';
});
out.end();
await once(out, 'finish');
process.stdout.write(JSON.stringify({ seconds: (performance.now() - started) / 1000, maxRssKb: process.resourceUsage().maxRSS }));
