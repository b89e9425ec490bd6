/**
 * JSON whose numbers stay the text they were sent as. Domo's query API answers numbers as JSON numbers
 * (domo.com/docs/portal "Query a DataSet": `35000`, `0.0035`); JSON.parse would round a long id past 2^53 or
 * a price such as 0.1 + 0.2 on its way to Emarsys, which must receive them as Domo holds them.
 */
export type LosslessValue = string | boolean | null | LosslessValue[] | { [key: string]: LosslessValue };

export class LosslessJsonError extends Error {}

export function parseLossless(text: string): LosslessValue {
  let at = 0;
  const fail = (what: string): never => {
    throw new LosslessJsonError(`${what} at character ${at}`);
  };
  const space = () => {
    while (at < text.length && (text[at] === ' ' || text[at] === '\n' || text[at] === '\r' || text[at] === '\t')) at++;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): LosslessValue => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const object: Record<string, LosslessValue> = {};
      space();
      if (text[at] === '}') return at++, object;
      for (;;) {
        space();
        if (text[at] !== '"') fail('expected a key');
        const key = string();
        space();
        if (text[at++] !== ':') fail('expected ":"');
        object[key] = value();
        space();
        if (text[at] === ',') at++;
        else if (text[at] === '}') return at++, object;
        else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      at++;
      const array: LosslessValue[] = [];
      space();
      if (text[at] === ']') return at++, array;
      for (;;) {
        array.push(value());
        space();
        if (text[at] === ',') at++;
        else if (text[at] === ']') return at++, array;
        else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('null', at)) return (at += 4), null;
    if (text.startsWith('true', at)) return (at += 4), true;
    if (text.startsWith('false', at)) return (at += 5), false;
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (!number) return fail('unexpected input');
    at += number[0].length;
    return number[0];
  };
  const string = (): string => {
    // JSON.parse reads one string literal exactly (escapes included) and fast.
    const start = at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) fail('unterminated string');
    return JSON.parse(text.slice(start, ++at)) as string;
  };
  const result = value();
  space();
  if (at !== text.length) fail('unexpected input after the value');
  return result;
}
