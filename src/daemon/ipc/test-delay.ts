/**
 * Test hook for slow machines made deterministic: `CLAUDEMESH_TEST_IPC_DELAY="`reserve`=1500"`
 * (comma-separated `path=ms`) delays the requests to those paths after their body is read and before they
 * are handled, as a loaded machine would. Unset (the normal case) it has no effect.
 */
export const TEST_IPC_DELAY_ENV = "CLAUDEMESH_TEST_IPC_DELAY";

/** Path → delay in ms, from the environment. */
export function ipcDelays(env: NodeJS.ProcessEnv = process.env): Map<string, number> {
  const delays = new Map<string, number>();
  for (const part of (env[TEST_IPC_DELAY_ENV] ?? "").split(",")) {
    const [path, ms] = part.split("=");
    const value = Number(ms);
    if (path && Number.isFinite(value) && value > 0) delays.set(path.trim(), value);
  }
  return delays;
}

/** Waits the delay configured for `url`'s path, if any. */
export async function applyDelay(
  delays: ReadonlyMap<string, number>,
  url: string | undefined,
): Promise<void> {
  if (delays.size === 0 || url === undefined) return;
  const ms = delays.get(new URL(url, "http://localhost").pathname);
  if (ms !== undefined) await new Promise((resolve) => setTimeout(resolve, ms));
}
