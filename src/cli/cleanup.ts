/**
 * What a command opened that must be closed when it ends, whatever the outcome (a daemon run in this
 * process says goodbye to its broker). Kept free of imports: `main` loads it before any verb.
 */
const closers: Array<() => Promise<void>> = [];

export function onCommandEnd(close: () => Promise<void>): void {
  closers.push(close);
}

/** Runs and forgets every closer; a failing one does not stop the others. */
export async function commandEnded(): Promise<void> {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
}
