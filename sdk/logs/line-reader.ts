/**
 * Lines of an append-only file read through one fd in bounded chunks: never the whole file in
 * memory, whatever it holds (a line longer than MAX_LINE comes out in MAX_LINE pieces, as Docker
 * splits at 16 KiB). Used for the container log and its time index.
 */
import { fstatSync, readSync } from 'node:fs';

const CHUNK = 64 * 1024;
export const MAX_LINE = 64 * 1024;

export interface Line {
  /** Byte offset of the line's first byte in the file. */
  offset: number;
  /** Without its newline. */
  text: string;
}

/** Reads forward from `offset`; `next()` returns complete lines, `rest()` the unterminated tail. */
export class LineReader {
  private pending: Buffer = Buffer.alloc(0);
  private pendingAt: number;
  private pos: number;
  constructor(
    private readonly fd: number,
    offset = 0,
  ) {
    this.pos = offset;
    this.pendingAt = offset;
  }

  /** The next complete line, or null at the current end of the file (call again once it grew). */
  next(): Line | null {
    for (;;) {
      const nl = this.pending.indexOf(0x0a);
      if (nl >= 0 || this.pending.length >= MAX_LINE) {
        const end = nl >= 0 && nl < MAX_LINE ? nl : MAX_LINE;
        const line = { offset: this.pendingAt, text: this.pending.subarray(0, end).toString('utf8') };
        const skip = end === nl ? end + 1 : end;
        this.pending = this.pending.subarray(skip);
        this.pendingAt += skip;
        return line;
      }
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(this.fd, buf, 0, CHUNK, this.pos);
      if (n === 0) return null;
      this.pos += n;
      this.pending = this.pending.length ? Buffer.concat([this.pending, buf.subarray(0, n)]) : buf.subarray(0, n);
    }
  }

  /** What follows the last newline (a line still being written, or a last line without one). */
  rest(): Line | null {
    return this.pending.length ? { offset: this.pendingAt, text: this.pending.toString('utf8') } : null;
  }
}

/**
 * The offset where the last `n` lines of the file begin, reading backwards in chunks (a trailing
 * newline ends the last line, it does not start an empty one).
 * @example tailOffset(fd, 3); // read forward from here for `logs --tail 3`
 */
export function tailOffset(fd: number, n: number): number {
  const size = fstatSync(fd).size;
  if (n <= 0) return size;
  let end = size;
  let seen = 0;
  const buf = Buffer.allocUnsafe(CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const len = readSync(fd, buf, 0, end - start, start);
    for (let i = len - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) continue;
      if (start + i === size - 1) continue; // the last line's own newline
      if (++seen === n) return start + i + 1;
    }
    end = start;
  }
  return 0;
}
