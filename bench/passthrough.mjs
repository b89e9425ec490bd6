/**
 * Reference 1: a bare parse-and-write pass-through in Node with the same CSV reader as the runner
 * (compiled, as the runner runs): select and order the columns, copy their bytes, write a header
 * with the new names. No checks, no formatting, no deduplication.
 * Usage: passthrough.mjs IN OUT COLUMNS (JSON: [[column, field], ...])
 */
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { readCsvRecords } from '../dist/pipeline/record-batches.js';

const BENCH_COLUMNS = JSON.parse(process.argv[4]);
const fd = openSync(process.argv[3], 'w');
const buffer = Buffer.allocUnsafe(1 << 20);
let used = 0;
let indexes;
await readCsvRecords(createReadStream(process.argv[2]), (record) => {
  if (!indexes) {
    const header = record.texts();
    indexes = BENCH_COLUMNS.map(([column]) => header.indexOf(column));
    used += buffer.write(`${BENCH_COLUMNS.map(([, field]) => field).join(',')}\n`);
    return;
  }
  if (used > buffer.length - 64 * 1024) {
    writeSync(fd, buffer, 0, used);
    used = 0;
  }
  for (let f = 0; f < indexes.length; f++) {
    const i = indexes[f];
    if (f > 0) buffer[used++] = 44;
    const quoted = record.kinds[i] !== 0;
    if (quoted) buffer[used++] = 34;
    const bytes = record.bytes;
    for (let k = record.starts[i]; k < record.ends[i]; k++) buffer[used++] = bytes[k]; // Buffer#copy costs ~200 ns a call
    if (quoted) buffer[used++] = 34;
  }
  buffer[used++] = 10;
});
writeSync(fd, buffer, 0, used);
closeSync(fd);
