/** Cuts a child's text output into lines (\n, \r\n or \r), across chunk boundaries. */
export class LineSplitter {
  #partial = '';
  readonly #decoder = new TextDecoder();

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onEnd?: () => void,
  ) {}

  push(chunk: Uint8Array): void {
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split(/\r?\n|\r/);
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  /** The output ended: a last line without a newline counts too. */
  end(): void {
    if (this.#partial) this.onLine(this.#partial);
    this.#partial = '';
    this.onEnd?.();
  }
}
