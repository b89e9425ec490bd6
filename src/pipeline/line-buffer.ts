/**
 * The line being written at the end of a larger buffer: bytes [start, start + length). Writers fill
 * it in place and the owner commits it, so a line is formatted once and never copied on the way to disk.
 */
export class LineBuffer {
  bytes: Buffer;
  start = 0;
  length = 0;

  constructor(
    /** Its size, or the buffer to write in. */
    size: number | Buffer,
    /** Makes `more` bytes of room after the line: by writing out what precedes it, or by growing. */
    private readonly makeRoom: (line: LineBuffer, more: number) => void = growLine,
  ) {
    this.bytes = typeof size === 'number' ? Buffer.allocUnsafeSlow(size) : size; // its own memory: a batch's lines may move to another thread
  }

  /** Where the next byte of the line goes. */
  get end(): number {
    return this.start + this.length;
  }

  ensure(more: number): void {
    if (this.start + this.length + more > this.bytes.length) this.makeRoom(this, more);
  }

  text(text: string): void {
    this.ensure(text.length * 3);
    this.length += this.bytes.write(text, this.start + this.length);
  }

  /** Moves the line to the start of the buffer (what preceded it was written out). */
  moveToStart(): void {
    if (this.start === 0) return;
    this.bytes.copyWithin(0, this.start, this.start + this.length);
    this.start = 0;
  }

  toString(from = 0, to = this.length): string {
    return this.bytes.toString('utf8', this.start + from, this.start + to);
  }
}

/** Moves the line to the start of the buffer, and doubles the buffer when that is not enough. */
export function growLine(line: LineBuffer, more: number): void {
  line.moveToStart();
  if (line.length + more <= line.bytes.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(line.bytes.length * 2, line.length + more));
  line.bytes.copy(bigger, 0, 0, line.length);
  line.bytes = bigger;
}

/** Grows the buffer keeping every byte written so far: a batch's lines, all kept until the batch is handed over. */
export function keepAll(line: LineBuffer, more: number): void {
  const bigger = Buffer.allocUnsafeSlow(Math.max(line.bytes.length * 2, line.start + line.length + more));
  line.bytes.copy(bigger, 0, 0, line.start + line.length);
  line.bytes = bigger;
}
