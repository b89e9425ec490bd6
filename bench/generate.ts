/**
 * Writes N synthetic rows as a Domo export (CSV with header) to a file: order lines (the default) or
 * loyalty contacts. Usage: generate.ts FILE ROWS [sales|contacts]
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { SALES_COLUMNS, salesRows } from '../src/demo/sample-data.ts';
import { domoCsvLine } from '../src/emulators/domo.ts';
import { CONTACT_COLUMNS, contactRows } from './contacts-data.ts';

const [file, count, kind = 'sales'] = [process.argv[2]!, Number(process.argv[3]), process.argv[4]];
const DAY = 86_400_000;
const out = createWriteStream(file);
out.write(domoCsvLine((kind === 'contacts' ? CONTACT_COLUMNS : SALES_COLUMNS).map((c) => c.name)));
const batch = 50_000;
const start = Date.now() - 30 * DAY;
for (let done = 0; done < count; done += batch) {
  const n = Math.min(batch, count - done);
  const rows =
    kind === 'contacts'
      ? contactRows(done, n)
      : salesRows({ lines: n, firstOrder: 1_000_000 + done, from: start + (done / count) * 29 * DAY, to: start + ((done + n) / count) * 29 * DAY, seed: done + 1 });
  if (!out.write(rows.map(domoCsvLine).join(''))) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
