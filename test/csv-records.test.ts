import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvError, MAX_LINE_BYTES } from '../src/pipeline/csv-records.ts';
import { readCsvRecords } from '../src/pipeline/record-batches.ts';

/** Reads CSV text (or bytes) delivered in chunks of `size` bytes; returns every record's fields. */
async function read(csv: string | Buffer, size = 1 << 20): Promise<string[][]> {
  const bytes = Buffer.isBuffer(csv) ? csv : Buffer.from(csv);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const records: string[][] = [];
  await readCsvRecords(Readable.from(chunks), (record) => records.push(record.texts()));
  return records;
}

const TRICKY = 'a,b,c\r\n"x, y","say ""hi""",\n\n"multi\nline",2,"3"\nplain,"",last\n';
const EXPECTED = [
  ['a', 'b', 'c'],
  ['x, y', 'say "hi"', ''],
  ['multi\nline', '2', '3'],
  ['plain', '', 'last'],
];

describe('the CSV reader', () => {
  it('reads RFC 4180: quoted commas, doubled quotes, line breaks inside quotes, CRLF, empty lines skipped', async () => {
    expect(await read(TRICKY)).toEqual(EXPECTED);
  });

  it('gives the same records however the bytes are split into chunks', async () => {
    for (let size = 1; size <= TRICKY.length; size++) expect(await read(TRICKY, size)).toEqual(EXPECTED);
  });

  it('cuts batches only between records, whatever their size: quoted line breaks, doubled quotes and quotes inside plain fields', async () => {
    const csv = 'id,text\n1,"a\n""b"",\nc"\n2,5" screen\n3,"x"\r\n4,say "hi" "there\n5,"\n"\n6,\n';
    const expected = [['id', 'text'], ['1', 'a\n"b",\nc'], ['2', '5" screen'], ['3', 'x'], ['4', 'say "hi" "there'], ['5', '\n'], ['6', '']];
    for (let batchBytes = 1; batchBytes <= csv.length; batchBytes++) {
      const records: string[][] = [];
      await readCsvRecords(Readable.from([Buffer.from(csv)]), (record) => records.push(record.texts()), batchBytes);
      expect(records, `batches of ${batchBytes} bytes`).toEqual(expected);
    }
  });

  it('keeps a multi-byte character that arrives split across chunks', async () => {
    expect(await read('name\nZoë Ærø 東京\n', 1)).toEqual([['name'], ['Zoë Ærø 東京']]);
  });

  it('drops a byte order mark and reads a last line without a line break', async () => {
    expect(await read('\uFEFFid,n\n1,2')).toEqual([['id', 'n'], ['1', '2']]);
  });

  it('marks records holding bytes that are not UTF-8, so they are checked value by value', async () => {
    const flags: boolean[] = [];
    await readCsvRecords(Readable.from([Buffer.concat([Buffer.from('a\nok\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])])]), (r) => flags.push(r.clean));
    expect(flags).toEqual([false, false, false]); // one bad byte makes its whole batch take the careful path
  });

  it.each([
    ['a,b\n1,2\n"open,3\n4,5\n', 'CSV_QUOTE_NOT_CLOSED', 'a quoted field that starts at data row 2 never ends'],
    ['a,b\n1,"2"x\n', 'CSV_INVALID_QUOTE', 'malformed quotes at data row 1'],
    ['a,b\n1,2\n3\n', 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH', 'data row 2 has 1 fields but the header has 2'],
  ])('refuses malformed CSV with the data row: %j', async (csv, code, message) => {
    const error = await read(csv, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsvError);
    expect(error).toMatchObject({ code, message: expect.stringContaining(message) });
  });

  it('refuses a record longer than 4 MB without buffering more of it', async () => {
    const huge = Buffer.alloc(MAX_LINE_BYTES + 1024 * 1024, 0x61);
    const error = await read(Buffer.concat([Buffer.from('a\n"'), huge]), 256 * 1024).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CSV_RECORD_TOO_LONG' });
  });
});
