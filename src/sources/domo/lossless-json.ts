/**
 * JSON whose numbers stay the text they were sent as. Domo's query API answers numbers as JSON numbers
 * (domo.com/docs/portal "Query a DataSet": `35000`, `0.0035`); JSON.parse would round a long id past 2^53 or
 * a price such as 0.1 + 0.2 on its way to Emarsys, which must receive them as Domo holds them. A window's
 * pages are read from their bytes by query-csv.ts; this reader takes the small answers (COUNT(*), schemas),
 * from their bytes too, and both take numbers with jsonNumberEnd.
 */
export type LosslessValue = string | boolean | null | LosslessValue[] | { [key: string]: LosslessValue };

export class LosslessJsonError extends Error {}

const [QUOTE, BACKSLASH, COMMA, COLON, MINUS, PLUS, DOT, ZERO, NINE, OPEN_ARRAY, CLOSE_ARRAY, OPEN_OBJECT, CLOSE_OBJECT, E, SMALL_E] =
  [34, 92, 44, 58, 45, 43, 46, 48, 57, 91, 93, 123, 125, 69, 101];
const isDigit = (c: number | undefined) => c !== undefined && c >= ZERO && c <= NINE;
const LITERALS: [string, boolean | null][] = [
  ['null', null],
  ['true', true],
  ['false', false],
];

function malformed(what: string, at: number): never {
  throw new LosslessJsonError(`${what} at byte ${at}`);
}

/** Where the number at byte `at` ends, as JSON's grammar has it: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?; a malformed one throws. */
export function jsonNumberEnd(json: Uint8Array, at: number): number {
  const start = at;
  if (json[at] === MINUS) at++;
  if (json[at] === ZERO) at++;
  else if (isDigit(json[at])) while (isDigit(json[at])) at++;
  else malformed('unexpected input', start);
  if (json[at] === DOT) {
    if (!isDigit(json[++at])) malformed('a number without digits after its point', at);
    while (isDigit(json[at])) at++;
  }
  if (json[at] === E || json[at] === SMALL_E) {
    if (json[++at] === PLUS || json[at] === MINUS) at++;
    if (!isDigit(json[at])) malformed('a number without digits in its exponent', at);
    while (isDigit(json[at])) at++;
  }
  return at;
}

class Reader {
  at = 0;
  constructor(readonly json: Buffer) {}

  fail(what: string): never {
    return malformed(what, this.at);
  }

  space(): void {
    const { json } = this;
    let at = this.at;
    for (let c = json[at]; c === 32 || c === 10 || c === 13 || c === 9; c = json[++at]);
    this.at = at;
  }

  /** Reads `open`, then items with `item` until `close`, commas between. */
  list(open: number, close: number, item: () => void): void {
    if (this.json[this.at] !== open) this.fail(`expected "${String.fromCharCode(open)}"`);
    this.at++;
    this.space();
    if (this.json[this.at] === close) return void this.at++;
    for (;;) {
      item();
      this.space();
      if (this.json[this.at] === COMMA) this.at++;
      else if (this.json[this.at] === close) return void this.at++;
      else this.fail(`expected "," or "${String.fromCharCode(close)}"`);
      this.space();
    }
  }

  /** A scalar: a string, a number's own text, true, false or null; undefined when an array or object follows. */
  scalar(): string | boolean | null | undefined {
    this.space();
    const { json } = this;
    const c = json[this.at];
    if (c === QUOTE) return this.string();
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) return undefined;
    for (const [text, value] of LITERALS) {
      if (json.toString('latin1', this.at, this.at + text.length) === text) return (this.at += text.length), value;
    }
    const start = this.at;
    this.at = jsonNumberEnd(json, start);
    return json.toString('latin1', start, this.at);
  }

  value(): LosslessValue {
    const scalar = this.scalar();
    if (scalar !== undefined) return scalar;
    if (this.json[this.at] === OPEN_ARRAY) {
      const array: LosslessValue[] = [];
      this.list(OPEN_ARRAY, CLOSE_ARRAY, () => array.push(this.value()));
      return array;
    }
    const object: Record<string, LosslessValue> = {};
    this.list(OPEN_OBJECT, CLOSE_OBJECT, () => {
      const key = this.key();
      object[key] = this.value();
    });
    return object;
  }

  key(): string {
    this.space();
    if (this.json[this.at] !== QUOTE) this.fail('expected a key');
    const key = this.string();
    this.space();
    if (this.json[this.at++] !== COLON) this.at--, this.fail('expected ":"');
    return key;
  }

  string(): string {
    const { json } = this;
    const open = this.at;
    let at = open + 1;
    let escaped = false;
    for (let c = json[at]; c !== QUOTE; c = json[at]) {
      if (c === undefined) return (this.at = at), this.fail('unterminated string');
      escaped ||= c === BACKSLASH;
      at += c === BACKSLASH ? 2 : 1;
    }
    this.at = at + 1;
    // Most values hold no escape: their bytes are the string. JSON.parse reads one with escapes exactly.
    return escaped ? (JSON.parse(json.toString('utf8', open, this.at)) as string) : json.toString('utf8', open + 1, at);
  }

  end(): void {
    this.space();
    if (this.at !== this.json.length) this.fail('unexpected input after the value');
  }
}

/** The JSON value `json` holds (its bytes, or text), numbers as their text. Malformed JSON throws LosslessJsonError naming the byte. */
export function parseLossless(json: Buffer | string): LosslessValue {
  const reader = new Reader(typeof json === 'string' ? Buffer.from(json) : json);
  const result = reader.value();
  reader.end();
  return result;
}
