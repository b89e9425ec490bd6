/**
 * JSON whose numbers stay the text they were sent as. Domo's query API answers numbers as JSON numbers
 * (domo.com/docs/portal "Query a DataSet": `35000`, `0.0035`); JSON.parse would round a long id past 2^53 or
 * a price such as 0.1 + 0.2 on its way to Emarsys, which must receive them as Domo holds them.
 * `queryAnswerRows` reads a query answer's `rows` straight into CSV lines, without an array per row: a page
 * of 100,000 rows costs its text, not a million small objects.
 */
export type LosslessValue = string | boolean | null | LosslessValue[] | { [key: string]: LosslessValue };

export class LosslessJsonError extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Reader {
  at = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new LosslessJsonError(`${what} at character ${this.at}`);
  }

  space(): void {
    const { text } = this;
    while (this.at < text.length && (text[this.at] === ' ' || text[this.at] === '\n' || text[this.at] === '\r' || text[this.at] === '\t')) this.at++;
  }

  /** Reads `open`, then items with `item` until `close`, commas between. */
  list(open: string, close: string, item: () => void): void {
    if (this.text[this.at] !== open) this.fail(`expected "${open}"`);
    this.at++;
    this.space();
    if (this.text[this.at] === close) return void this.at++;
    for (;;) {
      item();
      this.space();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] === close) return void this.at++;
      else this.fail(`expected "," or "${close}"`);
      this.space();
    }
  }

  /** A scalar: a string, a number's own text, true, false or null; undefined when an array or object follows. */
  scalar(): string | boolean | null | undefined {
    this.space();
    const { text } = this;
    const c = text[this.at];
    if (c === '"') return this.string();
    if (c === '[' || c === '{') return undefined;
    if (text.startsWith('null', this.at)) return (this.at += 4), null;
    if (text.startsWith('true', this.at)) return (this.at += 4), true;
    if (text.startsWith('false', this.at)) return (this.at += 5), false;
    NUMBER.lastIndex = this.at;
    const number = NUMBER.exec(text);
    if (!number) return this.fail('unexpected input');
    this.at += number[0].length;
    return number[0];
  }

  value(): LosslessValue {
    const scalar = this.scalar();
    if (scalar !== undefined) return scalar;
    if (this.text[this.at] === '[') {
      const array: LosslessValue[] = [];
      this.list('[', ']', () => array.push(this.value()));
      return array;
    }
    const object: Record<string, LosslessValue> = {};
    this.list('{', '}', () => {
      const key = this.key();
      object[key] = this.value();
    });
    return object;
  }

  key(): string {
    this.space();
    if (this.text[this.at] !== '"') this.fail('expected a key');
    const key = this.string();
    this.space();
    if (this.text[this.at++] !== ':') this.fail('expected ":"');
    return key;
  }

  string(): string {
    const { text } = this;
    const start = this.at++;
    // Most values hold no escape: their text is the string.
    const close = text.indexOf('"', this.at);
    let plain = close !== -1;
    for (let i = this.at; plain && i < close; i++) if (text.charCodeAt(i) === 92) plain = false;
    if (plain) {
      this.at = close + 1;
      return text.slice(start + 1, close);
    }
    // JSON.parse reads one string literal with escapes exactly.
    while (this.at < text.length && text[this.at] !== '"') this.at += text[this.at] === '\\' ? 2 : 1;
    if (this.at >= text.length) this.fail('unterminated string');
    return JSON.parse(text.slice(start, ++this.at)) as string;
  }

  end(): void {
    this.space();
    if (this.at !== this.text.length) this.fail('unexpected input after the value');
  }
}

export function parseLossless(text: string): LosslessValue {
  const reader = new Reader(text);
  const result = reader.value();
  reader.end();
  return result;
}

/**
 * A query answer's column names, and its rows as lines written by `line` (each cell as text, or null);
 * every other field is read and left. A cell that is an array or an object is refused: Domo's are scalars.
 */
export function queryAnswerRows(text: string, line: (cells: (string | null)[]) => string): { columns: string[]; lines: string; rows: number } {
  const reader = new Reader(text);
  let columns: string[] = [];
  let lines = '';
  let rows = 0;
  reader.space();
  reader.list('{', '}', () => {
    const key = reader.key();
    reader.space();
    if (key === 'rows' && reader.text[reader.at] === '[') {
      reader.list('[', ']', () => {
        const cells: (string | null)[] = [];
        reader.space();
        reader.list('[', ']', () => {
          const cell = reader.scalar();
          if (cell === undefined) reader.fail('a cell that is not a value');
          cells.push(cell === null ? null : String(cell));
        });
        lines += line(cells);
        rows++;
      });
    } else {
      const value = reader.value();
      if (key === 'columns' && Array.isArray(value)) columns = value.map(String);
    }
  });
  reader.end();
  return { columns, lines, rows };
}
