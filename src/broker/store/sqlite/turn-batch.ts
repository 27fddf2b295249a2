/**
 * Writes asked for during one event-loop turn, committed together at its end (`setImmediate`): a burst of
 * hellos costs one transaction instead of one per hello. Each caller's promise settles once the shared
 * transaction has committed (or failed), so a resolved write is as durable as a single one.
 */
export class TurnBatch<I, O> {
  #items: Array<{ input: I; resolve: (output: O) => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;

  /** `run` executes every input in one transaction and returns one output per input, in order. */
  constructor(private readonly run: (inputs: I[]) => O[]) {}

  add(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#items.push({ input, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const items = this.#items;
    this.#items = [];
    let outputs: O[];
    try {
      outputs = this.run(items.map((item) => item.input));
    } catch (error) {
      // The whole transaction rolled back: every write of it failed.
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => item.resolve(outputs[i]!));
  }
}
