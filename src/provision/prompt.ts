import { createInterface } from "node:readline";

/**
 * Questions on a terminal, one line per answer. Lines are queued as they come, so answers typed (or
 * pasted) ahead of their question are kept, not lost between two questions as with rl.question.
 * node:readline is enough for this: prompts with a default, and a yes/no.
 */
export class Prompter {
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string | undefined) => void)[] = [];
  #closed = false;
  readonly #rl;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
  ) {
    this.#rl = createInterface({ input, terminal: false });
    this.#rl.on("line", (l) => {
      const w = this.#waiting.shift();
      if (w) w(l);
      else this.#lines.push(l);
    });
    this.#rl.on("close", () => {
      this.#closed = true;
      for (const w of this.#waiting.splice(0)) w(undefined);
    });
  }

  #next(): Promise<string | undefined> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Asks until an answer comes (or the default is taken with an empty line); undefined at end of input. */
  async ask(question: string, fallback?: string, required = false): Promise<string | undefined> {
    for (;;) {
      this.output.write(`${question}${fallback ? ` [${fallback}]` : ""}: `);
      const line = await this.#next();
      if (line === undefined) return undefined;
      const answer = line.trim() || fallback || "";
      if (answer !== "" || !required) return answer === "" ? undefined : answer;
      this.output.write("  (needed)\n");
    }
  }

  async confirm(question: string): Promise<boolean> {
    const a = await this.ask(`${question} [y/N]`);
    return a !== undefined && /^y(es)?$/i.test(a);
  }

  close(): void {
    this.#rl.close();
  }
}
