import { describe, expect, it } from 'vitest';
import { random } from '../../src/demo/sample-data.ts';
import { KeyHasher, type KeyEncoding } from '../../src/state/key-hasher.ts';

/** Characters of every UTF-8 length: ASCII, Latin (2 bytes), euro sign and CJK (3), emoji and a CJK extension (4), and quotes. */
const ALPHABET = ['a', 'Z', '7', ' ', ',', '"', 'é', 'ü', 'ß', '€', '日', '本', '😀', '𠀋'];

function fingerprint(encoding: KeyEncoding, parts: readonly string[], hashPart: (hasher: KeyHasher, part: string) => void): number[] {
  const hasher = new KeyHasher();
  const out = new Uint32Array(2);
  hasher.start(encoding);
  for (const part of parts) hashPart(hasher, part);
  hasher.finish(out);
  return [...out];
}

describe('KeyHasher.utf8', () => {
  it('fingerprints UTF-8 bytes as text() fingerprints their text, with either encoding, quotes doubled or not', () => {
    const rand = random(11);
    const text = () => Array.from({ length: Math.floor(rand() * 12) }, () => ALPHABET[Math.floor(rand() * ALPHABET.length)]).join('');
    for (let round = 0; round < 500; round++) {
      const parts = Array.from({ length: 1 + Math.floor(rand() * 4) }, text);
      for (const encoding of ['joined', 'length-prefixed'] as const) {
        const expected = fingerprint(encoding, parts, (hasher, part) => hasher.text(part));
        // As a line holds them: a part's bytes somewhere inside a larger buffer.
        expect(fingerprint(encoding, parts, (hasher, part) => hasher.utf8(Buffer.from(`x,${part},y`), 2, 2 + Buffer.byteLength(part))), parts.join('|')).toEqual(expected);
        // As an escaped CSV field holds them: each quote doubled.
        const escaped = (part: string) => Buffer.from(part.replaceAll('"', '""'));
        expect(fingerprint(encoding, parts, (hasher, part) => hasher.utf8(escaped(part), 0, escaped(part).length, true)), parts.join('|')).toEqual(expected);
      }
    }
  });
});
