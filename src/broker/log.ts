import { pino, type Logger } from "pino";

export type { Logger };

/** JSON-line logger with a component field. Message bodies and secrets are never passed to it. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { component: "broker" } }, destination ?? process.stderr);
}
