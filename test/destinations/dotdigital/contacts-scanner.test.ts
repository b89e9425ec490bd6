import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scanContactsExport, type ContactsScanResult, type ContactsScanOptions } from '../../../src/destinations/dotdigital/contacts-scanner.ts';
import { formatFieldValue } from '../../../src/destinations/dotdigital/fields.ts';
import { ContactFingerprints } from '../../../src/destinations/dotdigital/fingerprints.ts';
import { RefusedContacts } from '../../../src/destinations/dotdigital/refused.ts';
import { csvFields } from '../../../src/pipeline/csv-records.ts';
import { csvLine } from '../../../src/pipeline/csv-line.ts';
import { formatEmail, Invalid } from '../../../src/pipeline/values.ts';
import { hashKey } from '../../../src/state/key-hasher.ts';

const HEADER = 'id,email_address,first_name,points,joined_at,member';
const fields: ContactsScanOptions['fields'] = [
  { name: 'FIRSTNAME', column: 'first_name', type: 'String', create: false },
  { name: 'POINTS', column: 'points', type: 'Numeric', create: false },
  { name: 'JOINED', column: 'joined_at', type: 'Date', create: true },
  { name: 'MEMBER', column: 'member', type: 'Boolean', create: true },
];

/** Values the byte paths copy and values they hand to the text formatters, mixed. */
const ROWS = [
  '1,anna.1@example.com,Anna,120,2024-03-05 10:11:12,true',
  '2,Ben.Two@Example.COM,"Berg, van den",+3,2024-03-05,yes',
  '3," chloe@example.com ",Chloé,1e2,2024-03-05T10:11:12+02:00,0',
  '4,"d""q@example.com",\\N,-0.50,\\N,',
  '5,émile@exämple.com,"Say ""hi""",,0999-01-01,N',
  '6,zoë@example.com,"\\N",7,2024-02-29T23:59:59Z,1',
];

const scan = (csv: string, options: Partial<ContactsScanOptions> = {}): Promise<ContactsScanResult> =>
  scanContactsExport(Readable.from([Buffer.from(csv)]), { emailColumn: 'email_address', fields, maxPartBytes: 1 << 20, ...options });

const contents = (result: ContactsScanResult) => result.spool.parts.map((p) => readFileSync(p.path, 'utf8')).join('');
const fingerprints = (result: ContactsScanResult) => result.spool.parts.flatMap((p) => [...p.fingerprints()]);
const extras = (result: ContactsScanResult) => result.spool.parts.flatMap((p) => [...p.extras()]);

/** The line and fingerprints as earlier versions made them, one string at a time: what contacts.bin was written with. */
function byText(row: string): { line: string; email: number[]; values: number } | string {
  const cells = csvFields(row);
  const nulls = row.split(',').map((c) => c === '\\N'); // these rows have no comma inside a null's neighbours
  const email = formatEmail(cells[1]!);
  if (email instanceof Invalid) return email.reason;
  const values = [email.toLowerCase()];
  for (const [i, field] of fields.entries()) {
    const out = nulls[i + 2] ? '' : formatFieldValue(field.type, cells[i + 2]!);
    if (out instanceof Invalid) return out.reason;
    values.push(out);
  }
  const pair = new Uint32Array(2);
  hashKey(values.join('\u001f'), pair);
  const value = pair[0]!;
  hashKey(values[0]!, pair);
  return { line: csvLine(values), email: [pair[0]!, pair[1]!], values: value };
}

describe('formatting an export into Dotdigital import files', () => {
  it('writes the lines and fingerprints that formatEmail and formatFieldValue define, so existing contacts.bin files keep working', async () => {
    const result = await scan(`${HEADER}\n${ROWS.join('\n')}\n`);
    const expected = ROWS.map(byText);
    const sent = expected.filter((e) => typeof e !== 'string');
    expect(contents(result)).toBe(`Email,FIRSTNAME,POINTS,JOINED,MEMBER\n${sent.map((e) => e.line).join('')}`);
    expect(fingerprints(result)).toEqual(sent.flatMap((e) => e.email));
    expect(extras(result).filter((_, i) => i % 2 === 0)).toEqual(sent.map((e) => e.values));
    expect(extras(result).filter((_, i) => i % 2 === 1)).toEqual([1, 2, 3, 6]); // export rows, for fault reports
    expect(contents(result).split('\n').slice(1, 3)).toEqual(['anna.1@example.com,Anna,120,2024-03-05T10:11:12,true', 'ben.two@example.com,"Berg, van den",3,2024-03-05T00:00:00,true']);
    expect(result.rejects).toEqual([
      { row: 4, field: 'email', column: 'email_address', reason: '"d"q@example.com" is not an email address' },
      { row: 5, field: 'JOINED', column: 'joined_at', reason: '"0999-01-01" needs a four-digit year' },
    ]);
    // Pinned: anna.1@example.com's fingerprints as contacts.bin files hold them (email, then its values).
    expect([...fingerprints(result).slice(0, 2), extras(result)[0]]).toEqual([1434988063, 823744163, 2471183574]);
    result.dispose();
  });

  it('fingerprints text of every UTF-8 length and escaped quotes, copied as bytes, as contacts.bin files were made from the text', async () => {
    const rows = ['7,li@example.com,"日本 ""Tokyo"" 😀",5,2024-03-05,true', '8,eve@example.com,€uro 𠀋 Müller,6,2024-03-05,false', '9,bo@example.com,"Say ""hi""",7,2024-03-05,yes'];
    const expected = rows.map(byText).filter((e) => typeof e !== 'string');
    expect(expected).toHaveLength(3);
    for (const workers of [0, 2]) {
      const result = await scan(`${HEADER}\n${rows.join('\n')}\n`, { workers });
      expect(contents(result)).toBe(`Email,FIRSTNAME,POINTS,JOINED,MEMBER\n${expected.map((e) => e.line).join('')}`);
      expect(fingerprints(result)).toEqual(expected.flatMap((e) => e.email));
      expect(extras(result).filter((_, i) => i % 2 === 0)).toEqual(expected.map((e) => e.values));
      result.dispose();
    }
  });

  it('takes the text path for a whole batch holding bytes that are not UTF-8, with the same result for the other rows', async () => {
    const fast = await scan(`${HEADER}\n${ROWS.join('\n')}\n`);
    const careful = await scan(`${HEADER}\n${ROWS.join('\n')}\n7,x@example.com,caf\uFFFD,1,2024-01-01,true\n`);
    expect(contents(careful)).toBe(`${contents(fast)}x@example.com,caf\uFFFD,1,2024-01-01T00:00:00,true\n`);
    expect(fingerprints(careful).slice(0, -2)).toEqual(fingerprints(fast));
    fast.dispose();
    careful.dispose();
  });

  it('formats in worker threads exactly as in this thread: lines, fingerprints, row numbers, repeated emails across batches', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => {
      if (i % 500 === 7) return `${i},not-an-email,A,1,2024-01-01,true`;
      if (i % 700 === 9) return `${i},bad${i}@example.com,A,12 EUR,2024-01-01,true`;
      if (i === 2900) return `${i},Member11@Example.com,Again,1,2024-01-01,true`; // an email again, dozens of batches later
      return `${i},member${i}@example.com,${i % 3 ? 'Anna' : '"Berg, van den"'},${i},2024-03-05 10:11:12,${i % 2 ? 'yes' : 'no'}`;
    });
    const csv = `${HEADER}\n${rows.join('\n')}\n`;
    const scanWith = (workers: number) => scan(csv, { maxPartBytes: 40_000, workers, batchBytes: 4096, expectedRows: 3000 });
    const [inline, threaded] = [await scanWith(0), await scanWith(2)];
    expect(inline.spool.parts.length).toBeGreaterThan(3);
    expect(contents(threaded)).toBe(contents(inline));
    expect(fingerprints(threaded)).toEqual(fingerprints(inline));
    expect(extras(threaded)).toEqual(extras(inline));
    expect(threaded.rejects).toEqual(inline.rejects);
    expect(inline.rejects.map((r) => r.row)).toEqual([8, 10, 508, 710, 1008, 1410, 1508, 2008, 2110, 2508, 2810]);
    expect([inline.read, inline.rejected, inline.duplicateInExport, inline.spool.lines]).toEqual([3000, 11, 1, 2988]);
    expect([threaded.read, threaded.rejected, threaded.duplicateInExport, threaded.spool.lines]).toEqual([3000, 11, 1, 2988]);
    expect(contents(inline)).not.toContain('Again');
    inline.dispose();
    threaded.dispose();
  });

  it('leaves out contacts whose values are those last imported, and knows every contact of the export', async () => {
    const first = await scan(`${HEADER}\n${ROWS.join('\n')}\n`);
    const previous = new ContactFingerprints();
    const known: [number, number][] = [];
    for (const part of first.spool.parts) {
      const [emails, values] = [part.fingerprints(), part.extras()];
      for (let i = 0; i < part.lines; i++) {
        previous.record(emails[i * 2]!, emails[i * 2 + 1]!, values[i * 2]!);
        known.push([emails[i * 2]!, emails[i * 2 + 1]!]);
      }
    }
    first.dispose();
    const presentOf = (result: ContactsScanResult) => known.filter(([hi, lo]) => result.present!.has(hi, lo)).length;
    const changed = ROWS.map((row) => row.replace('Anna', 'Anne'));
    const again = await scan(`${HEADER}\n${changed.join('\n')}\n`, { previous });
    expect([again.unchanged, again.spool.lines]).toEqual([3, 1]);
    expect(contents(again)).toContain('anna.1@example.com,Anne,');
    expect(presentOf(again)).toBe(4);
    expect(again.previousPresent).toBe(4); // every contact of the state is still exported: none to forget
    again.dispose();
    // One contact gone, one repeated, one new: the state's contacts still exported are counted once each.
    const fewer = [changed[0]!, changed[0]!, changed[2]!, changed[5]!, '7,new.contact@example.com,New,1,2024-03-05,true'];
    const later = await scan(`${HEADER}\n${fewer.join('\n')}\n`, { previous });
    expect([later.previousPresent, later.duplicateInExport, presentOf(later)]).toEqual([3, 1, 3]);
    const spooled = later.spool.parts.flatMap((part) => [...part.fingerprints()]);
    expect(spooled.length).toBe(4); // the changed contact's two rows once, and the new contact
    for (let i = 0; i < spooled.length; i += 2) expect(later.present!.has(spooled[i]!, spooled[i + 1]!)).toBe(true);
    later.dispose();
  });

  it('loads the changed-only state once, while the worker threads start: an export without rows knows none of its contacts, and a state that cannot be read fails as itself', async () => {
    const first = await scan(`${HEADER}\n${ROWS.join('\n')}\n`);
    const previous = new ContactFingerprints();
    const part = first.spool.parts[0]!;
    const [emails, values] = [part.fingerprints(), part.extras()];
    for (let i = 0; i < part.lines; i++) previous.record(emails[i * 2]!, emails[i * 2 + 1]!, values[i * 2]!);
    first.dispose();
    for (const workers of [0, 2]) {
      let loads = 0;
      const load = () => (loads++, previous);
      const again = await scan(`${HEADER}\n${ROWS.join('\n')}\n`, { previous: load, workers, expectedRows: ROWS.length });
      expect([loads, again.unchanged, again.spool.lines, again.previousPresent], `${workers} workers`).toEqual([1, 4, 0, 4]);
      again.dispose();
      // Only the header: the state is still loaded, and holds no contact of this export (all four are forgotten).
      const none = await scan(`${HEADER}\n`, { previous: load, workers });
      expect([loads, none.present!.has(emails[0]!, emails[1]!)]).toEqual([2, false]);
      none.dispose();
    }
    // A contacts.bin that cannot be read is that error (naming the file), not a failure to spool the export.
    const unreadable = Object.assign(new Error("EACCES: permission denied, open 'state/loyalty/contacts.bin'"), { code: 'EACCES' });
    const failed = scan(`${HEADER}\n${ROWS.join('\n')}\n`, {
      previous: () => {
        throw unreadable;
      },
    });
    await expect(failed).rejects.toBe(unreadable);
  });

  it('writes every value whole when lines grow past their records: a column mapped to several fields, numbers the text path lengthens', async () => {
    const name = `${'Name'.repeat(30)} "the" 3rd`; // 131 characters, with quotes to double: the text path
    const rows = Array.from({ length: 3000 }, (_, i) => `${i},member${i}@example.com,"${name.replaceAll('"', '""')}",1e20,2024-03-05,true`);
    const many: ContactsScanOptions['fields'] = [1, 2, 3].map((n) => ({ name: `NAME${n}`, column: 'first_name', type: 'String' as const, create: false }));
    const result = await scan(`${HEADER}\n${rows.join('\n')}\n`, { fields: [...many, { name: 'POINTS', column: 'points', type: 'Numeric', create: false }] });
    const quoted = `"${name.replaceAll('"', '""')}"`;
    const lines = contents(result).split('\n').filter((line) => line && !line.startsWith('Email,')); // every part has a header
    expect(lines).toHaveLength(3000);
    lines.forEach((line, i) => expect(line).toBe(`member${i}@example.com,${quoted},${quoted},${quoted},100000000000000000000`));
    result.dispose();
  });

  it('lists a contact refused before in row order among the rows rejected after it', async () => {
    const rows = [ROWS[0]!, ...Array.from({ length: 120 }, (_, i) => `${i + 2},not-an-email-${i},A,1,2024-01-01,true`)];
    const first = await scan(`${HEADER}\n${ROWS[0]}\n`);
    const [emails, values] = [first.spool.parts[0]!.fingerprints(), first.spool.parts[0]!.extras()];
    first.dispose();
    const refused = new RefusedContacts();
    refused.set(emails[0]!, emails[1]!, values[0]!, 0);
    const result = await scan(`${HEADER}\n${rows.join('\n')}\n`, { refused });
    expect([result.rejected, result.refusedBefore, result.rejects.length]).toEqual([121, 1, 100]);
    expect(result.rejects[0]).toMatchObject({ row: 1, reason: expect.stringContaining('refused this contact before (Globally Suppressed)') });
    expect(result.rejects.slice(1).map((r) => r.row)).toEqual(Array.from({ length: 99 }, (_, i) => i + 2));
    result.dispose();
  });
});
