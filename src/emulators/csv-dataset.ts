/**
 * A Domo DataSet for the emulator from a team's own CSV file (`writeback emulate --dataset ID=FILE.csv`):
 * the first line names the columns, every further line is a row. Values are served as written, except an
 * unquoted \N, which is Domo's null (how Domo writes one in an export, so an export saved from Domo
 * reads back as it was); a quoted "\N" stays text. Column types are inferred as Domo infers them from an
 * uploaded CSV file: LONG, DECIMAL, DATE, DATETIME or STRING (see inferType). Any mistake in the file
 * is a WritebackError naming the file and its line; a file that cannot be read is a UsageError (exit 2).
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UsageError, WritebackError } from '../errors/index.ts';
import type { DomoValue, EmulatedDataSet } from './domo.ts';

export type InferredType = 'STRING' | 'LONG' | 'DECIMAL' | 'DATE' | 'DATETIME';

const LONG = /^-?(0|[1-9]\d{0,17})$/;
const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$|^-?\.\d+$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
// Domo's DATETIME has no zone (docs/vendors/domo.md): a value with Z or an offset stays text, as in Domo.
const DATETIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?$/;

/**
 * The Domo type of a column from its values: the narrowest type every non-empty, non-null value fits,
 * STRING when none does or the column holds no value. Integers with a leading zero (an id such as 00123)
 * and integers beyond 18 digits stay STRING, so nothing would lose its zeros or digits in a real Domo.
 */
export function inferType(values: Iterable<DomoValue>): InferredType {
  let long = true;
  let decimal = true;
  let date = true;
  let datetime = true;
  let any = false;
  for (const value of values) {
    if (value === null || value === '') continue;
    any = true;
    long &&= LONG.test(value);
    decimal &&= DECIMAL.test(value);
    date &&= DATE.test(value);
    datetime &&= DATETIME.test(value);
    if (!long && !decimal && !date && !datetime) return 'STRING';
  }
  if (!any) return 'STRING';
  return long ? 'LONG' : decimal ? 'DECIMAL' : date ? 'DATE' : datetime ? 'DATETIME' : 'STRING';
}

/** A CSV parser error's code and line (csv-parse's CsvError). */
interface CsvParseError {
  code?: string;
  lines?: number;
  message: string;
}

/** One sentence per kind of CSV mistake, with what to do. */
function describeCsvError(error: CsvParseError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field starts here and is never closed (a quote inside a quoted field is written twice: "")';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted field goes on after its closing quote (a quote inside a quoted field is written twice: "")';
    case 'CSV_INVALID_OPENING_QUOTE':
      return 'a quote inside a field that does not start with one (quote the whole field and write the quote twice: "a ""b"" c")';
    default:
      return `not valid CSV (${error.message})`;
  }
}

/** The line of the file where the first undecodable byte lies, when the file is not UTF-8. */
function utf8Problem(bytes: Buffer): number | undefined {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return undefined;
  } catch {
    const text = bytes.toString('utf8');
    const at = text.indexOf('\uFFFD');
    return text.slice(0, Math.max(0, at)).split('\n').length;
  }
}

export interface CsvDataSetOptions {
  id: string;
  /** The file as the user named it (for messages). */
  file: string;
  /** The file's path to read (default: file). */
  path?: string;
  /** The DataSet's name (default: the file's base name without .csv). */
  name?: string;
}

/** Reads a CSV file into an emulated DataSet: its header, its rows (in memory) and inferred column types. */
export function csvDataSet(options: CsvDataSetOptions): EmulatedDataSet {
  const { id, file } = options;
  const path = options.path ?? file;
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`--dataset ${id}=${file}: ${file} is a directory; name a CSV file`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof WritebackError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
    throw new UsageError(`--dataset ${id}=${file}: cannot read ${file} (${why})`);
  }
  const badLine = utf8Problem(bytes);
  if (badLine !== undefined) throw new WritebackError(`${file}:${badLine}: not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in Excel)`);
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (!text.trim()) throw new WritebackError(`${file}:1: the file is empty; its first line must name the columns (order_id,ordered_at,...)`);

  // Each record with its first line: the line after the previous record, past the empty lines skipped between.
  const located: { record: DomoValue[]; line: number }[] = [];
  let previousEnd = 0;
  let previousEmpty = 0;
  const nextStart = (emptyLines: number) => previousEnd + 1 + (emptyLines - previousEmpty);
  try {
    parse(text, {
      skip_empty_lines: true,
      relax_column_count: true,
      // Domo's null is an unquoted \N; a quoted "\N" is the text \N.
      cast: (value, context) => (!context.quoting && value === '\\N' ? null : value),
      on_record: (record: DomoValue[], context) => {
        located.push({ record, line: nextStart(context.empty_lines) });
        previousEnd = context.lines;
        previousEmpty = context.empty_lines;
        return null;
      },
    });
  } catch (error) {
    const problem = error as CsvParseError & { empty_lines?: number };
    // An unclosed quote is found at the end of the file: name the line its record starts on.
    const line = problem.code === 'CSV_QUOTE_NOT_CLOSED' ? nextStart(problem.empty_lines ?? previousEmpty) : (problem.lines ?? 1);
    throw new WritebackError(`${file}:${line}: ${describeCsvError(problem)}`);
  }
  const [header, ...data] = located;
  if (!header) throw new WritebackError(`${file}:1: the file is empty; its first line must name the columns`);
  const names = header.record.map((name) => String(name ?? '\\N').trim());
  names.forEach((name, i) => {
    if (!name) throw new WritebackError(`${file}:${header.line}: column ${i + 1} of the header has no name; the first line must name every column`);
    const first = names.indexOf(name);
    if (first !== i) throw new WritebackError(`${file}:${header.line}: column "${name}" is named twice (columns ${first + 1} and ${i + 1}); Domo column names are unique`);
  });
  if (names.length === 1 && /[;\t]/.test(names[0]!)) {
    const separator = names[0]!.includes(';') ? 'semicolons' : 'tabs';
    throw new WritebackError(`${file}:${header.line}: the header is one column "${names[0]}": the file seems separated by ${separator}; write it with commas (Domo exports are comma-separated)`);
  }
  for (const { record, line } of data) {
    if (record.length !== names.length) {
      throw new WritebackError(`${file}:${line}: ${record.length} field(s), but the header names ${names.length} column(s); quote fields that contain a comma ("store, Berlin")`);
    }
  }
  const rows = data.map((d) => d.record);
  const columns = names.map((name, i) => ({ name, type: inferType(rows.map((row) => row[i]!)) }));
  const name = options.name ?? (file.split(/[\\/]/).pop() ?? file).replace(/\.csv$/i, '');
  return { id, name, columns, rows };
}
