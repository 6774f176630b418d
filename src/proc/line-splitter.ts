/**
 * Cuts a child's output stream into lines as chunks arrive. Pure: chunks in, complete lines out;
 * the unfinished rest is kept until more comes or the stream ends.
 */
export class LineSplitter {
  private partial = '';

  /** `breaks` matches one line end; progress meters (rsync's) end their updates with \r alone. */
  constructor(private readonly breaks: RegExp = /\n/) {}

  push(chunk: string): string[] {
    const lines = (this.partial + chunk).split(this.breaks);
    this.partial = lines.pop() ?? '';
    return lines;
  }

  /** The last line, when the stream ended without a line end. */
  end(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}
