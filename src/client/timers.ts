/**
 * Lets a timer not keep Node's process alive. Browsers' timers are plain numbers with nothing to do, so
 * the shared client core runs in both.
 */
export function unrefTimer(timer: unknown): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer && typeof timer.unref === "function")
    (timer as { unref(): void }).unref();
}
