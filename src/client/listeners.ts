/** A small typed event registry. A listener that throws is logged, never allowed to break the client. */
export type EventMap = Record<string, unknown[]>;

type ListenerSets<E extends EventMap> = { [K in keyof E]?: Set<(...args: E[K]) => void> };

export class TypedListeners<E extends EventMap> {
  readonly #listeners: ListenerSets<E> = {};
  readonly #onListenerError: (event: keyof E, error: unknown) => void;

  constructor(onListenerError: (event: keyof E, error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    const set = this.#listeners[event] ?? new Set<(...args: E[K]) => void>();
    this.#listeners[event] = set;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners[event];
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        this.#onListenerError(event, error);
      }
    }
  }
}
