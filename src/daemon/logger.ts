/**
 * The daemon's JSON-line logger (pino): every line has a `component`; fields never carry secrets, tokens or
 * message bodies (only ids, short key prefixes and states). Written to stdout, which the CLI's detached
 * start points at daemon.log.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

export function createLogger(destination?: DestinationStream): Logger {
  return pino(
    {
      level: process.env.CLAUDEMESH_LOG_LEVEL ?? "info",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ["secret_key", "secretKey", "token", "body", "message_body", "*.secret_key"],
        remove: true,
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
