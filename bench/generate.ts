/** Writes N synthetic order lines as a Domo export (CSV with header) to a file. Usage: generate.ts FILE ROWS */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { SALES_COLUMNS, salesRows } from '../src/demo/sample-data.ts';
import { domoCsvLine } from '../src/emulators/domo.ts';

const [file, count] = [process.argv[2]!, Number(process.argv[3])];
const DAY = 86_400_000;
const out = createWriteStream(file);
out.write(domoCsvLine(SALES_COLUMNS.map((c) => c.name)));
const batch = 50_000;
const start = Date.now() - 30 * DAY;
for (let done = 0; done < count; done += batch) {
  const n = Math.min(batch, count - done);
  const rows = salesRows({ lines: n, firstOrder: 1_000_000 + done, from: start + (done / count) * 29 * DAY, to: start + ((done + n) / count) * 29 * DAY, seed: done + 1 });
  if (!out.write(rows.map(domoCsvLine).join(''))) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
