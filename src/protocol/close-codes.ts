/** WebSocket close codes and reasons (protocol.md §2.8). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  kicked: 4001,
  banned: 4002,
} as const;

export const CloseReason = {
  sessionReplaced: "session_replaced",
  disconnected: "disconnected",
  shuttingDown: "shutting down",
  frameTooLarge: "frame_too_large",
  helloTimeout: "hello_timeout",
  kicked: "kicked",
  banned: "banned",
  left: "left",
  bye: "bye",
} as const;

/** Close codes after which a client must not reconnect on its own. */
export function isTerminalClose(code: number): boolean {
  return code === CloseCode.kicked || code === CloseCode.banned;
}
