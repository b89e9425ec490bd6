/**
 * JSON whose numbers stay the text they were sent as. Domo's query API answers numbers as JSON numbers
 * (domo.com/docs/portal "Query a DataSet": `35000`, `0.0035`); JSON.parse would round a long id past 2^53 or
 * a price such as 0.1 + 0.2 on its way to Emarsys, which must receive them as Domo holds them. A window's
 * pages are read from their bytes by query-csv.ts; this reader takes the small answers (COUNT(*), schemas).
 */
export type LosslessValue = string | boolean | null | LosslessValue[] | { [key: string]: LosslessValue };

export class LosslessJsonError extends Error {}

const [QUOTE, COMMA, MINUS, DOT, ZERO, NINE, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, E, SMALL_E, PLUS] = [34, 44, 45, 46, 48, 57, 91, 93, 123, 69, 101, 43];
const isDigit = (c: number) => c >= ZERO && c <= NINE;

class Reader {
  at = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new LosslessJsonError(`${what} at character ${this.at}`);
  }

  space(): void {
    const { text } = this;
    let at = this.at;
    for (let c = text.charCodeAt(at); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++at));
    this.at = at;
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
    const c = text.charCodeAt(this.at);
    if (c === QUOTE) return this.string();
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) return undefined;
    if (text.startsWith('null', this.at)) return (this.at += 4), null;
    if (text.startsWith('true', this.at)) return (this.at += 4), true;
    if (text.startsWith('false', this.at)) return (this.at += 5), false;
    return this.number();
  }

  /** A number's text, as JSON's grammar has it: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
  number(): string {
    const { text } = this;
    const start = this.at;
    let at = start;
    if (text.charCodeAt(at) === MINUS) at++;
    if (text.charCodeAt(at) === ZERO) at++;
    else if (isDigit(text.charCodeAt(at))) while (isDigit(text.charCodeAt(at))) at++;
    else return this.fail('unexpected input');
    if (text.charCodeAt(at) === DOT) {
      if (!isDigit(text.charCodeAt(++at))) return this.fail('a number without digits after its point');
      while (isDigit(text.charCodeAt(at))) at++;
    }
    const e = text.charCodeAt(at);
    if (e === E || e === SMALL_E) {
      const sign = text.charCodeAt(++at);
      if (sign === PLUS || sign === MINUS) at++;
      if (!isDigit(text.charCodeAt(at))) return this.fail('a number without digits in its exponent');
      while (isDigit(text.charCodeAt(at))) at++;
    }
    this.at = at;
    return text.slice(start, at);
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
