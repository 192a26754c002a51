/**
 * The log's time index (LOG.times, written by native/monitor.c beside the log): "OFFSET UNIX_MS"
 * lines in offset order. A cursor answers "when was the line at this offset written" for offsets
 * that only grow, reading the index as far as it needs, never all of it.
 */
import { closeSync, openSync } from 'node:fs';
import { LineReader } from './line-reader.ts';

export class TimeCursor {
  private reader: LineReader | null;
  private fd: number | null;
  private current: number | null = null;
  private ahead: { offset: number; ms: number } | null = null;

  constructor(indexFile: string) {
    try {
      this.fd = openSync(indexFile, 'r');
      this.reader = new LineReader(this.fd);
    } catch {
      this.fd = null; // a log from before the index existed: lines have no time
      this.reader = null;
    }
  }

  /** Milliseconds since the epoch of the write that began at or before `offset`; null if unknown. */
  timeAt(offset: number): number | null {
    for (;;) {
      if (!this.ahead) {
        const l = this.reader?.next();
        if (!l) return this.current;
        const [o, ms] = l.text.split(' ').map(Number);
        if (!Number.isFinite(o) || !Number.isFinite(ms)) continue;
        this.ahead = { offset: o!, ms: ms! };
      }
      if (this.ahead.offset > offset) return this.current;
      this.current = this.ahead.ms;
      this.ahead = null;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
