/** A one-line progress display on stderr (only when stderr is a terminal and the input size is known). */
export class Progress {
  private last = 0;
  private readonly started = performance.now();
  private packets = 0;

  constructor(private readonly totalBytes: number, private readonly out: NodeJS.WriteStream = process.stderr) {}

  static forInput(path: string, size: number | undefined): Progress | undefined {
    return path !== '-' && size !== undefined && size > 0 && process.stderr.isTTY ? new Progress(size) : undefined;
  }

  /** Redraw (at most 5 times a second) with `packets` read from the first `bytesIn` bytes. */
  update(bytesIn: number, packets: number): void {
    this.packets = packets;
    const now = performance.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = (now - this.started) / 1000;
    const frac = Math.min(1, bytesIn / this.totalBytes);
    const rate = secs > 0 ? this.packets / secs : 0;
    const eta = frac > 0 ? (secs / frac) - secs : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    this.out.write(`\r[${bar}] ${(frac * 100).toFixed(1)}%  ${Math.round(rate)} pkt/s  ETA ${eta.toFixed(0)} s `);
  }

  done(): void {
    this.out.write('\r\x1b[K');
  }
}
