/**
 * Reading only a job's window through Domo's query API (`POST /v1/datasets/query/execute/{id}`,
 * docs/vendors/domo.md "Query") instead of exporting the whole DataSet: `WHERE cursor >= <window start>`,
 * the mapped columns only, in bounded pages. The rows come out as the CSV an export would give (header,
 * `\N` for a null), so the destination's scanner reads either alike.
 *
 * Pages are fetched by key, not by an ever-growing OFFSET: ordered by every selected column (cursor
 * first), each page starts at the last row of the one before (`>=` that row) and skips the rows equal to
 * it already read, so rows that tie in every column are neither lost nor read twice, and a page costs Domo
 * the same at the end as at the start.
 * ASSUMPTIONS (Domo documents only `SELECT * FROM table` and LIMIT, docs/vendors/domo.md): comparisons,
 * AND/OR/parentheses, IS [NOT] NULL, ORDER BY several columns with NULL first (as MySQL, whose dialect
 * Domo's query engine follows), OFFSET, backtick-quoted names and ISO date literals (AWS Glue's Domo
 * connector filters DATETIME columns with ISO values).
 */
import { Readable } from 'node:stream';
import type { DomoClient, DomoColumnType } from './client.ts';

export interface WindowColumn {
  name: string;
  type: DomoColumnType;
}

export interface QueryWindow {
  /** The cursor column (DATE or DATETIME) and the first instant of the window. */
  cursor: WindowColumn;
  from: number;
}

/**
 * Rows per page: well below the one million rows Domo's query answers are reported to stop at (rdomo,
 * man/ds_query.Rd), and small enough that a page's JSON (some MB) is parsed quickly and dropped.
 */
export const PAGE_ROWS = 50_000;

const NUMERIC = new Set<DomoColumnType>(['LONG', 'DOUBLE', 'DECIMAL']);
const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

function literal(value: string, type: DomoColumnType): string {
  return NUMERIC.has(type) && NUMBER.test(value) ? value : quoted(value);
}

/** The window start as the cursor column's type writes it: a DATE holds days, a DATETIME seconds, both UTC. */
export function windowLiteral(window: QueryWindow): string {
  const iso = new Date(window.from).toISOString();
  return quoted(window.cursor.type === 'DATE' ? iso.slice(0, 10) : iso.slice(0, 19));
}

/**
 * The rows of the window: from its start on, and rows without a cursor value, which an export would show
 * too (the scanner rejects them, with their reason, rather than letting them vanish).
 */
export function windowCondition(window: QueryWindow): string {
  const column = ident(window.cursor.name);
  return `(${column} >= ${windowLiteral(window)} OR ${column} IS NULL)`;
}

/** Rows at or after `row` in the order of `columns` (NULL first); undefined when every row is. */
export function atOrAfter(columns: WindowColumn[], row: (string | null)[], i = 0): string | undefined {
  if (i === columns.length) return undefined;
  const column = ident(columns[i]!.name);
  const value = row[i] ?? null;
  const rest = atOrAfter(columns, row, i + 1);
  if (value === null) return rest === undefined ? undefined : `(${column} IS NOT NULL OR (${column} IS NULL AND ${rest}))`;
  const v = literal(value, columns[i]!.type);
  return rest === undefined ? `${column} >= ${v}` : `(${column} > ${v} OR (${column} = ${v} AND ${rest}))`;
}

export function pageSql(columns: WindowColumn[], window: QueryWindow | undefined, from: (string | null)[] | undefined, skip: number, pageRows: number): string {
  const list = columns.map((c) => ident(c.name)).join(', ');
  const where = [window && windowCondition(window), from && atOrAfter(columns, from)].filter(Boolean);
  return `SELECT ${list} FROM table${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${list} LIMIT ${pageRows}${skip ? ` OFFSET ${skip}` : ''}`;
}

export function countSql(window: QueryWindow | undefined): string {
  return `SELECT COUNT(*) FROM table${window ? ` WHERE ${windowCondition(window)}` : ''}`;
}

const same = (a: (string | null)[], b: (string | null)[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** One CSV field as Domo's export writes it: `\N` unquoted for null, quotes where needed (and for a text `\N`). */
function csvField(value: string | null): string {
  if (value === null) return '\\N';
  return /[,"\r\n]/.test(value) || value === '\\N' ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The window's rows as an export's CSV bytes, page by page. `onPage` hears of each page's size. */
export function windowCsv(domo: DomoClient, datasetId: string, columns: WindowColumn[], window: QueryWindow | undefined, pageRows = PAGE_ROWS, onPage?: (rows: number) => void): Readable {
  async function* pages(): AsyncGenerator<Buffer> {
    yield Buffer.from(`${columns.map((c) => csvField(c.name)).join(',')}\n`);
    let from: (string | null)[] | undefined;
    let skip = 0;
    for (;;) {
      const { rows } = await domo.query(datasetId, pageSql(columns, window, from, skip, pageRows));
      onPage?.(rows.length);
      let text = '';
      for (const row of rows) text += `${row.map(csvField).join(',')}\n`;
      if (text) yield Buffer.from(text);
      if (rows.length < pageRows) return;
      const last = rows[rows.length - 1]!;
      let ties = 0;
      for (let i = rows.length - 1; i >= 0 && same(rows[i]!, last); i--) ties++;
      // The next page starts at `last`: skip the rows equal to it read so far (all of this page's, if it was all `last`).
      skip = from && same(from, last) ? skip + ties : ties;
      from = last;
    }
  }
  return Readable.from(pages(), { objectMode: false });
}
