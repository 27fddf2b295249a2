/**
 * Runs per key one after another, in the order they were queued: a run starts once the one before it for
 * the same key has settled (fulfilled or not); runs for different keys do not wait for each other. A
 * failed run fails only its own caller. Keys with nothing queued take no memory.
 */
export class KeyedQueue {
  /** The last queued run per key, settled to undefined whatever its outcome. */
  readonly #last = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.#last.get(key) ?? Promise.resolve()).then(work);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#last.set(key, settled);
    void settled.then(() => {
      if (this.#last.get(key) === settled) this.#last.delete(key);
    });
    return result;
  }
}
