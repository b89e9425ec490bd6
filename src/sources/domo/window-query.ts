/**
 * Reading only a job's window through Domo's query API (`POST /v1/datasets/query/execute/{id}`,
 * docs/vendors/domo.md "Query") instead of exporting the whole DataSet: `WHERE cursor >= <window start>`,
 * the mapped columns only, in bounded pages. The rows come out as the CSV an export would give (header,
 * `\N` for a null), so the destination's scanner reads either alike.
 *
 * Pages are slices of time, not of a sort order: a window larger than a page is split at instants of the
 * cursor, by COUNT(*), until each slice fits in one page, and each slice is read whole with
 * `cursor >= a AND cursor < b`. Only comparisons of the cursor (a DATE or DATETIME) decide what a page
 * holds, never the order of text under a collation Domo does not document (a case-insensitive one would
 * tie 'a' and 'A' and make any paging by sort order skip or repeat rows), and no page depends on another's
 * last row. More rows on one instant than a page holds is an error that says what to change, never a guess.
 * ASSUMPTIONS (Domo documents only `SELECT * FROM table` and LIMIT, docs/vendors/domo.md): comparisons of a
 * DATE or DATETIME column with ISO literals in UTC (AWS Glue's Domo connector filters them so), AND, OR,
 * IS NULL, backtick-quoted names, COUNT(*).
 */
import { Readable } from 'node:stream';
import { WritebackError } from '../../errors/index.ts';
import type { DomoClient, DomoColumnType } from './client.ts';
import { exportCsvLine } from './query-csv.ts';

/** A window the query API cannot serve as asked: more rows on one instant than a page holds, or an answer with other columns. */
export class WindowReadError extends WritebackError {
  override name = 'WindowReadError';
}

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
 * man/ds_query.Rd). Measured at 5M rows with a window of 50,300 (npm run bench:incremental): 100,000 reads
 * it in 2 queries, 1.32 s and 131 MB peak; 50,000 slices it into 7, 1.90 s and 117 MB.
 */
export const PAGE_ROWS = 100_000;
const MAX_PAGE_ROWS = 1_000_000;

/** Rows per page (WRITEBACK_DOMO_QUERY_PAGE_ROWS): a whole number up to what one answer holds; anything else is refused, saying so. */
export function queryPageRows(env: NodeJS.ProcessEnv): number {
  const text = env.WRITEBACK_DOMO_QUERY_PAGE_ROWS;
  if (text === undefined || text === '') return PAGE_ROWS;
  const rows = Number(text);
  if (Number.isInteger(rows) && rows >= 1 && rows <= MAX_PAGE_ROWS) return rows;
  throw new WritebackError(`WRITEBACK_DOMO_QUERY_PAGE_ROWS is "${text}": set a whole number of rows from 1 to 1000000 (Domo's query answers stop at one million rows), or unset it for ${PAGE_ROWS}`);
}

const DAY_MS = 86_400_000;
const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** An instant as the cursor column's type writes it: a DATE holds days, a DATETIME seconds, both UTC. */
function instantLiteral(cursor: WindowColumn, at: number): string {
  const iso = new Date(at).toISOString();
  return quoted(cursor.type === 'DATE' ? iso.slice(0, 10) : iso.slice(0, 19));
}

export const windowLiteral = (window: QueryWindow) => instantLiteral(window.cursor, window.from);

/**
 * The rows of the window: from its start on, and rows without a cursor value, which an export would show
 * too (the scanner rejects them, with their reason, rather than letting them vanish).
 */
export function windowCondition(window: QueryWindow): string {
  const column = ident(window.cursor.name);
  return `(${column} >= ${windowLiteral(window)} OR ${column} IS NULL)`;
}

const selectSql = (columns: WindowColumn[], where?: string) => `SELECT ${columns.map((c) => ident(c.name)).join(', ')} FROM table${where ? ` WHERE ${where}` : ''}`;

/** A slice of the window: `cursor >= from` and, unless open-ended, `cursor < to`; or the rows without a cursor. */
type Slice = { from: number; to?: number } | 'nulls';

/**
 * The window's rows as an export's CSV bytes, slice by slice. `windowRows` is the COUNT(*) of the whole
 * window, already asked: when it fits in a page, one query reads it all.
 */
export function windowCsv(domo: DomoClient, datasetId: string, columns: WindowColumn[], window: QueryWindow | undefined, windowRows: number, pageRows = PAGE_ROWS, now = Date.now()): Readable {
  const condition = (slice: Slice): string => {
    const c = ident(window!.cursor.name);
    if (slice === 'nulls') return `${c} IS NULL`;
    return `${c} >= ${instantLiteral(window!.cursor, slice.from)}${slice.to === undefined ? '' : ` AND ${c} < ${instantLiteral(window!.cursor, slice.to)}`}`;
  };
  const tooMany = (rows: number, what: string) => {
    const raise = pageRows < MAX_PAGE_ROWS && rows <= MAX_PAGE_ROWS ? 'raise it (Domo answers up to 1,000,000 rows), or set' : 'no page can hold them (Domo answers up to 1,000,000 rows): set';
    return new WindowReadError(`${rows.toLocaleString('en-US')} rows ${what}, more than a page of the query API holds (WRITEBACK_DOMO_QUERY_PAGE_ROWS=${pageRows}): ${raise} source.domo.read: export`);
  };
  async function* pages(): AsyncGenerator<Buffer> {
    yield Buffer.from(exportCsvLine(columns.map((c) => c.name)));
    const asked = columns.map((c) => c.name);
    const read = async (where: string | undefined) => {
      const answer = await domo.queryCsv(datasetId, selectSql(columns, where));
      // Cells are taken by their place: rows under other columns than those asked, in that order, would put values
      // in the wrong fields. ASSUMPTION (docs/vendors/domo.md, "Query"): an answer names its columns as the SELECT does.
      if (answer.rows > 0 && answer.columns.join('\n') !== asked.join('\n')) {
        throw new WindowReadError(`Domo's query API answered the columns ${answer.columns.join(', ') || '(none)'} where ${asked.join(', ')} were asked, in that order: its cells cannot be placed, so only the export can be read (source.domo.read: export)`);
      }
      return answer.csv;
    };
    if (windowRows === 0) return; // nothing to read: no page is asked for
    if (windowRows <= pageRows) {
      yield await read(window && windowCondition(window));
      return;
    }
    if (!window) throw tooMany(windowRows, 'are in the DataSet and there is no window to read it by');
    // Slices start and end on whole seconds (days for a DATE), as the literals write them: the first starts
    // at the window's start rounded down, as windowCondition's does. Up to a day ahead of now they are split
    // at instants; beyond, one open-ended slice holds the rest (rows that far ahead are rare).
    const step = window.cursor.type === 'DATE' ? DAY_MS : 1000;
    const start = Math.floor(window.from / step) * step;
    const horizon = Math.ceil((Math.max(now, start) + DAY_MS) / step) * step;
    const slices: Slice[] = ['nulls', { from: horizon }, { from: start, to: horizon }];
    while (slices.length) {
      const slice = slices.pop()!;
      const rows = await domo.countRows(datasetId, condition(slice));
      if (rows === 0) continue;
      if (rows <= pageRows) {
        yield await read(condition(slice));
        continue;
      }
      if (slice === 'nulls') throw tooMany(rows, `have no ${window.cursor.name}`);
      if (slice.to === undefined || slice.to - slice.from <= step) {
        throw tooMany(rows, `have the ${window.cursor.name} ${instantLiteral(window.cursor, slice.from)}${slice.to === undefined ? ' or later' : ''}`);
      }
      const middle = slice.from + Math.floor((slice.to - slice.from) / 2 / step) * step;
      slices.push({ from: middle, to: slice.to }, { from: slice.from, to: middle }); // earliest first
    }
  }
  return Readable.from(pages(), { objectMode: false });
}
