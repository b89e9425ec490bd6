/**
 * The SQL the Domo emulator's query route runs (`POST /v1/datasets/query/execute/{id}`, docs/vendors/domo.md,
 * "Query"): `SELECT * | ... FROM table [WHERE ...] [ORDER BY ...] [LIMIT n [OFFSET m]]`, with column names
 * bare or in backticks (a doubled one inside), CAST(column AS CHAR), COUNT(*), comparisons (= != <> < <= > >=), IS [NOT] NULL,
 * AND, OR, NOT and parentheses. Anything else is refused, as Domo refuses SQL it cannot run.
 * ASSUMPTION (Domo documents no dialect): comparisons follow the column's type (numbers as numbers, DATE
 * and DATETIME as instants, text byte by byte), NULL compares as unknown and sorts first, as in MySQL.
 */
/** A cell: text, or null (Domo's null, written `\N` in an export and `null` in a query answer). */
export type DomoValue = string | null;

export class QueryError extends Error {}

type Token = { kind: 'word' | 'ident' | 'string' | 'number' | 'op'; text: string };
type Operand = { column: number } | { literal: string | null };
type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'cmp'; op: string; left: Operand; right: Operand }
  | { kind: 'null'; operand: Operand; negated: boolean };
interface Output {
  column?: number;
  count?: boolean;
  cast?: boolean;
  name: string;
}

const NUMERIC = new Set(['LONG', 'DOUBLE', 'DECIMAL']);
const TIME = new Set(['DATE', 'DATETIME']);
const TEXT_TYPES = new Set(['CHAR', 'VARCHAR', 'STRING', 'TEXT']);
const OPS = ['<=', '>=', '<>', '!=', '=', '<', '>', '(', ')', ',', '*'];

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < sql.length; ) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '`') {
      // ASSUMPTION (MySQL's rule, which the runner writes names by): a doubled backtick is one, inside a quoted name.
      let text = '';
      let j = i + 1;
      for (;;) {
        const end = sql.indexOf('`', j);
        if (end < 0) throw new QueryError('Unclosed identifier quote');
        text += sql.slice(j, end);
        if (sql[end + 1] !== '`') {
          j = end + 1;
          break;
        }
        text += '`';
        j = end + 2;
      }
      tokens.push({ kind: 'ident', text });
      i = j;
    } else if (c === "'") {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new QueryError('Unclosed string literal');
        if (sql[j] === "'" && sql[j + 1] === "'") {
          text += "'";
          j += 2;
        } else if (sql[j] === "'") break;
        else text += sql[j++];
      }
      tokens.push({ kind: 'string', text });
      i = j + 1;
    } else if (/[0-9-]/.test(c) && /^-?\d+(\.\d+)?/.test(sql.slice(i))) {
      const text = /^-?\d+(\.\d+)?/.exec(sql.slice(i))![0];
      tokens.push({ kind: 'number', text });
      i += text.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const text = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))![0];
      tokens.push({ kind: 'word', text });
      i += text.length;
    } else {
      const op = OPS.find((o) => sql.startsWith(o, i));
      if (!op) throw new QueryError(`Unexpected character '${c}' in query`);
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    }
  }
  return tokens;
}

/** A parsed query over one DataSet's columns, ready to run on its rows. */
export class DomoQuery {
  private readonly tokens: Token[];
  private at = 0;
  private outputs: Output[] = [];
  private where: Expr | undefined;
  private order: { column: number; desc: boolean }[] = [];
  private limit = Infinity;
  private offset = 0;

  constructor(
    sql: string,
    private readonly columns: { name: string; type: string }[],
  ) {
    this.tokens = tokenize(sql);
    this.parse();
  }

  /**
   * The least value of `column` a row must have to pass the WHERE clause, read off its top-level ANDs
   * (`column >= x`, `column > x`, or either OR `column IS NULL`), so an index can skip the rows below it;
   * undefined when the clause sets none. `nulls`: whether rows without a value may pass too.
   */
  lowerBound(column: number): { from: number; to?: number; nulls: boolean } | undefined {
    const isColumn = (operand: Operand) => 'column' in operand && operand.column === column;
    const bound = (expr: Expr | undefined): { from: number; to?: number; nulls: boolean } | undefined => {
      if (!expr) return undefined;
      if (expr.kind === 'and') {
        const [a, b] = [bound(expr.left), bound(expr.right)];
        if (!a || !b) return a ?? b;
        const to = a.to === undefined ? b.to : b.to === undefined ? a.to : Math.min(a.to, b.to);
        return { from: Math.max(a.from, b.from), to, nulls: a.nulls && b.nulls };
      }
      if (expr.kind === 'or') {
        const isNull = (e: Expr) => e.kind === 'null' && !e.negated && isColumn(e.operand);
        const [a, b] = [bound(expr.left), bound(expr.right)];
        if (a && isNull(expr.right)) return { ...a, nulls: true };
        if (b && isNull(expr.left)) return { ...b, nulls: true };
        return undefined;
      }
      if (expr.kind === 'null' && !expr.negated && isColumn(expr.operand)) return { from: Infinity, nulls: true };
      if (expr.kind === 'cmp' && isColumn(expr.left) && 'literal' in expr.right && expr.right.literal !== null) {
        const at = instant(expr.right.literal);
        if (!Number.isFinite(at)) return undefined;
        if (expr.op === '>=' || expr.op === '>') return { from: at, nulls: false };
        // An upper bound alone bounds nothing from below: it narrows a lower one (an AND of both).
        if (expr.op === '<' || expr.op === '<=') return { from: -Infinity, to: at, nulls: false };
      }
      return undefined;
    };
    const found = bound(this.where);
    return found && found.from === -Infinity && !found.nulls ? undefined : found;
  }

  run(rows: DomoValue[][]): { columns: string[]; types: string[]; rows: DomoValue[][] } {
    let selected = this.where ? rows.filter((row) => this.test(this.where!, row) === true) : [...rows];
    const names = this.outputs.map((o) => o.name);
    if (this.outputs.some((o) => o.count)) {
      if (this.outputs.length !== 1) throw new QueryError('COUNT(*) cannot be mixed with columns without GROUP BY');
      return { columns: names, types: ['LONG'], rows: [[String(selected.length)]] };
    }
    if (this.order.length) selected.sort((a, b) => this.compareRows(a, b));
    selected = selected.slice(this.offset, this.offset + this.limit);
    const types = this.outputs.map((o) => (o.cast ? 'STRING' : this.columns[o.column!]!.type));
    return { columns: names, types, rows: selected.map((row) => this.outputs.map((o) => row[o.column!] ?? null)) };
  }

  // --- parsing ---------------------------------------------------------------------------------------

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private isWord(word: string): boolean {
    const t = this.peek();
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }

  private expectWord(word: string): void {
    if (!this.isWord(word)) throw new QueryError(`Expected ${word} near '${this.peek()?.text ?? 'end of query'}'`);
    this.at++;
  }

  private isOp(op: string): boolean {
    const t = this.peek();
    return t?.kind === 'op' && t.text === op;
  }

  private expectOp(op: string): void {
    if (!this.isOp(op)) throw new QueryError(`Expected '${op}' near '${this.peek()?.text ?? 'end of query'}'`);
    this.at++;
  }

  private column(): number {
    const t = this.tokens[this.at++];
    if (!t || (t.kind !== 'ident' && t.kind !== 'word')) throw new QueryError(`Expected a column near '${t?.text ?? 'end of query'}'`);
    const index = this.columns.findIndex((c) => c.name === t.text);
    if (index < 0) throw new QueryError(`Unknown column '${t.text}'`);
    return index;
  }

  private parse(): void {
    this.expectWord('SELECT');
    if (this.isOp('*')) {
      // The one query Domo documents (docs/vendors/domo.md, "Query"): every column, in the DataSet's order.
      this.at++;
      this.outputs = this.columns.map((c, column) => ({ column, name: c.name }));
    } else {
      do {
        if (this.isOp(',')) this.at++;
        this.outputs.push(this.output());
      } while (this.isOp(','));
    }
    this.expectWord('FROM');
    if (!this.isWord('TABLE')) throw new QueryError('Query must select FROM table');
    this.at++;
    if (this.isWord('WHERE')) {
      this.at++;
      this.where = this.orExpr();
    }
    if (this.isWord('GROUP')) throw new QueryError('GROUP BY is not supported by this emulator');
    if (this.isWord('ORDER')) {
      this.at++;
      this.expectWord('BY');
      do {
        if (this.isOp(',')) this.at++;
        const column = this.column();
        let desc = false;
        if (this.isWord('ASC')) this.at++;
        else if (this.isWord('DESC')) {
          this.at++;
          desc = true;
        }
        this.order.push({ column, desc });
      } while (this.isOp(','));
    }
    if (this.isWord('LIMIT')) {
      this.at++;
      this.limit = this.count();
      if (this.isWord('OFFSET')) {
        this.at++;
        this.offset = this.count();
      }
    }
    if (this.peek()) throw new QueryError(`Unexpected '${this.peek()!.text}' in query`);
  }

  private count(): number {
    const t = this.tokens[this.at++];
    if (t?.kind !== 'number' || !/^\d+$/.test(t.text)) throw new QueryError(`Expected a row count near '${t?.text ?? 'end of query'}'`);
    return Number(t.text);
  }

  private output(): Output {
    if (this.isOp('*')) throw new QueryError("Unexpected '*' among the columns: SELECT * stands alone");
    let output: Output;
    if (this.isWord('COUNT')) {
      this.at++;
      this.expectOp('(');
      this.expectOp('*');
      this.expectOp(')');
      output = { count: true, name: 'COUNT(*)' };
    } else if (this.isWord('CAST')) {
      this.at++;
      this.expectOp('(');
      const column = this.column();
      this.expectWord('AS');
      const type = this.tokens[this.at++];
      if (!type || !TEXT_TYPES.has(type.text.toUpperCase())) throw new QueryError(`CAST to ${type?.text ?? '?'} is not supported by this emulator (only to CHAR)`);
      this.expectOp(')');
      output = { column, cast: true, name: `CAST(${this.columns[column]!.name} AS ${type.text})` };
    } else {
      const column = this.column();
      output = { column, name: this.columns[column]!.name };
    }
    if (this.isWord('AS')) {
      this.at++;
      const alias = this.tokens[this.at++];
      if (!alias || (alias.kind !== 'ident' && alias.kind !== 'word')) throw new QueryError('Expected an alias after AS');
      output.name = alias.text;
    }
    return output;
  }

  private orExpr(): Expr {
    let left = this.andExpr();
    while (this.isWord('OR')) {
      this.at++;
      left = { kind: 'or', left, right: this.andExpr() };
    }
    return left;
  }

  private andExpr(): Expr {
    let left = this.notExpr();
    while (this.isWord('AND')) {
      this.at++;
      left = { kind: 'and', left, right: this.notExpr() };
    }
    return left;
  }

  private notExpr(): Expr {
    if (this.isWord('NOT')) {
      this.at++;
      return { kind: 'not', expr: this.notExpr() };
    }
    if (this.isOp('(')) {
      this.at++;
      const inner = this.orExpr();
      this.expectOp(')');
      return inner;
    }
    const left = this.operand();
    if (this.isWord('IS')) {
      this.at++;
      const negated = this.isWord('NOT');
      if (negated) this.at++;
      this.expectWord('NULL');
      return { kind: 'null', operand: left, negated };
    }
    const op = this.tokens[this.at++];
    if (op?.kind !== 'op' || !['=', '!=', '<>', '<', '<=', '>', '>='].includes(op.text)) throw new QueryError(`Expected a comparison near '${op?.text ?? 'end of query'}'`);
    return { kind: 'cmp', op: op.text, left, right: this.operand() };
  }

  private operand(): Operand {
    const t = this.peek();
    if (t?.kind === 'string' || t?.kind === 'number') {
      this.at++;
      return { literal: t.text };
    }
    if (this.isWord('NULL')) {
      this.at++;
      return { literal: null };
    }
    return { column: this.column() };
  }

  // --- evaluation ------------------------------------------------------------------------------------

  /** true, false, or undefined for SQL's unknown (a comparison with NULL). */
  private test(expr: Expr, row: DomoValue[]): boolean | undefined {
    switch (expr.kind) {
      case 'and': {
        const [a, b] = [this.test(expr.left, row), this.test(expr.right, row)];
        return a === false || b === false ? false : a === undefined || b === undefined ? undefined : true;
      }
      case 'or': {
        const [a, b] = [this.test(expr.left, row), this.test(expr.right, row)];
        return a === true || b === true ? true : a === undefined || b === undefined ? undefined : false;
      }
      case 'not': {
        const a = this.test(expr.expr, row);
        return a === undefined ? undefined : !a;
      }
      case 'null': {
        const isNull = this.value(expr.operand, row) === null;
        return expr.negated ? !isNull : isNull;
      }
      case 'cmp': {
        const type = 'column' in expr.left ? this.columns[expr.left.column]!.type : 'column' in expr.right ? this.columns[expr.right.column]!.type : 'STRING';
        const [a, b] = [this.value(expr.left, row), this.value(expr.right, row)];
        if (a === null || b === null) return undefined;
        const c = compareValues(a, b, type);
        switch (expr.op) {
          case '=':
            return c === 0;
          case '!=':
          case '<>':
            return c !== 0;
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '>':
            return c > 0;
          default:
            return c >= 0;
        }
      }
    }
  }

  private value(operand: Operand, row: DomoValue[]): DomoValue {
    return 'column' in operand ? (row[operand.column] ?? null) : operand.literal;
  }

  private compareRows(a: DomoValue[], b: DomoValue[]): number {
    for (const { column, desc } of this.order) {
      const [x, y] = [a[column] ?? null, b[column] ?? null];
      const c = x === null ? (y === null ? 0 : -1) : y === null ? 1 : compareValues(x, y, this.columns[column]!.type);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  }
}

export function instant(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) : NaN;
}

function compareValues(a: string, b: string, type: string): number {
  if (NUMERIC.has(type)) return Number(a) - Number(b);
  // Two times written alike (same length and separator) order as their text does: no parsing at each comparison of a sort.
  if (TIME.has(type) && a.length === b.length && a[4] === '-' && b[4] === '-' && a[10] === b[10]) return a < b ? -1 : a > b ? 1 : 0;
  if (TIME.has(type)) return instant(a) - instant(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
