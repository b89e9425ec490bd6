/**
 * 64-bit fingerprints of delivery keys, as two 32-bit lanes (no BigInt in the hot path). At 64 bits the
 * chance that two of a million keys collide is about 3 in 100 million.
 */

/**
 * How the parts of a delivery key become one hashed input. `joined` (every ledger written before
 * length-prefixed keys existed): parts separated by U+001F, so ["a\u001fb", "c"] and ["a", "b\u001fc"]
 * share a fingerprint. `length-prefixed`: each part is preceded by its length, so two different keys never
 * share an input. A ledger records which one it was written with.
 */
export type KeyEncoding = 'joined' | 'length-prefixed';
export const KEY_ENCODING: KeyEncoding = 'length-prefixed';

/**
 * hashKey of a key built from parts (joined by U+001F, or each after its length), without building it.
 * Parts come as text or as ASCII bytes (one byte is one UTF-16 unit there), so lines formatted as bytes
 * get the same fingerprints.
 */
export class KeyHasher {
  private a = 0;
  private b = 0;
  private length = 0;
  private parts = 0;
  private prefixed = false;

  start(encoding: KeyEncoding = 'joined'): void {
    this.a = 0x811c9dc5;
    this.b = 0x9747b28c;
    this.length = 0;
    this.parts = 0;
    this.prefixed = encoding === 'length-prefixed';
  }

  private separate(partLength: number): void {
    if (this.prefixed) {
      this.mix(partLength + 0x10000); // above every UTF-16 unit: a length never reads as a character
      return;
    }
    if (this.parts++ === 0) return;
    this.mix(0x1f);
    this.length++;
  }

  private mix(c: number): void {
    this.a = Math.imul(this.a ^ c, 0x01000193);
    const b = Math.imul(this.b ^ c, 0x5bd1e995);
    this.b = b ^ (b >>> 15);
  }

  text(text: string): void {
    this.separate(text.length);
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
    this.length += text.length;
  }

  /** ASCII bytes [start, end) as a part. */
  ascii(bytes: Uint8Array, start: number, end: number): void {
    this.separate(end - start);
    let a = this.a;
    let b = this.b;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.a = a;
    this.b = b;
    this.length += end - start;
  }

  /**
   * UTF-8 bytes [start, end) as a part, hashed as the UTF-16 units of their text, as text() would: no
   * string is made. With `doubledQuotes`, each "" counts as one " (a CSV field's escaped text). The bytes
   * must be valid UTF-8 (a checked batch's field).
   */
  utf8(bytes: Uint8Array, start: number, end: number, doubledQuotes = false): void {
    if (this.prefixed) {
      let units = 0;
      for (let i = start; i < end; i++) {
        const c = bytes[i]!;
        if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1; // a lead byte: a unit, or a surrogate pair from 4 bytes
        if (doubledQuotes && c === 34) i++;
      }
      this.separate(units);
    } else this.separate(0);
    let a = this.a;
    let b = this.b;
    let units = 0;
    for (let i = start; i < end; ) {
      let c = bytes[i++]!;
      if (c >= 0x80) {
        if (c < 0xe0) c = ((c & 0x1f) << 6) | (bytes[i++]! & 0x3f);
        else if (c < 0xf0) c = ((c & 0x0f) << 12) | ((bytes[i++]! & 0x3f) << 6) | (bytes[i++]! & 0x3f);
        else {
          const point = (((c & 0x07) << 18) | ((bytes[i++]! & 0x3f) << 12) | ((bytes[i++]! & 0x3f) << 6) | (bytes[i++]! & 0x3f)) - 0x10000;
          const high = 0xd800 + (point >> 10);
          a = Math.imul(a ^ high, 0x01000193);
          b = Math.imul(b ^ high, 0x5bd1e995);
          b ^= b >>> 15;
          units++;
          c = 0xdc00 + (point & 0x3ff);
        }
      } else if (doubledQuotes && c === 34) i++;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
      units++;
    }
    this.a = a;
    this.b = b;
    this.length += units;
  }

  /** Writes the fingerprint of the parts so far; the hash is left as it is, so more parts may follow. */
  finish(out: Uint32Array, offset = 0): void {
    finish(this.a, this.b, this.length, out, offset);
  }
}

const hasher = new KeyHasher();

/** Hashes the values at `indexes` as one key into [hi, lo] (with `joined`: hashKey of the joined key, without building it). */
export function hashFields(values: readonly string[], indexes: readonly number[], out: Uint32Array, encoding: KeyEncoding = 'joined'): void {
  hasher.start(encoding);
  for (const index of indexes) hasher.text(values[index]!);
  hasher.finish(out);
}

/** Hashes a string into [hi, lo] (two independent FNV-1a-style lanes with murmur finalisers). */
export function hashKey(text: string, out: Uint32Array, offset = 0): void {
  hasher.start();
  hasher.text(text);
  hasher.finish(out, offset);
}

function finish(a: number, b: number, length: number, out: Uint32Array, offset: number): void {
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  a ^= a >>> 16;
  b ^= length;
  b ^= b >>> 16;
  b = Math.imul(b, 0x7feb352d);
  b ^= b >>> 15;
  b = Math.imul(b, 0x846ca68b);
  b ^= b >>> 16;
  out[offset] = a >>> 0;
  out[offset + 1] = b >>> 0;
}
