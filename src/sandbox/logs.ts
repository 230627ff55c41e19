export const LOGS_TRUNCATED_LINE = '…logs truncated';

/** Collects console lines until a byte budget is spent, then records a single truncation marker. */
export class LogCollector {
  readonly lines: string[] = [];
  #usedBytes = 0;
  #full = false;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get full(): boolean {
    return this.#full;
  }

  get remainingBytes(): number {
    return this.#maxBytes - this.#usedBytes;
  }

  /** Records one console call's text, or the truncation marker if it does not fit. */
  add(line: string): void {
    if (this.#full) return;
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > this.remainingBytes) {
      this.overflow();
      return;
    }
    this.#usedBytes += bytes;
    this.lines.push(line);
  }

  /** The next line is known not to fit; stop collecting. */
  overflow(): void {
    if (this.#full) return;
    this.lines.push(LOGS_TRUNCATED_LINE);
    this.#full = true;
  }
}
