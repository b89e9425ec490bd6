/** Small helpers for writing the definition schema's patterns (JSON Schema patterns have no flags). */

/** `JAN` -> `[Jj][Aa][Nn]`: the word in any case of its ASCII letters. */
export const anyCase = (word: string): string =>
  [...word].map((c) => (/[A-Za-z]/.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');

/** A pattern matching none of `words` as a whole, in any case: `^(?!(?:[Ii][Dd])$)`. */
export const noneOf = (words: readonly string[]): string => `^(?!(?:${words.map(anyCase).join('|')})$)`;
