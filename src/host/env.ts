/** Settings read from the environment. */

/** A duration in ms from the environment, or undefined when unset or not a number ≥ 0. */
export function msFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  const value = Number(text);
  return text !== undefined && text !== "" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
