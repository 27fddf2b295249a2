/**
 * Puts the terminal back the way a shell expects it after `claude` exits — also when it was killed and
 * could not clean up itself: raw mode off, cursor shown, normal screen buffer, and the input modes a TUI
 * turns on (bracketed paste, mouse and focus reporting, extended keyboard protocols) off.
 */
export const RESTORE_SEQUENCE = [
  "\u001b[0m", // attributes reset
  "\u001b[?1047l", // normal screen buffer (a no-op when already there; no cursor jump, unlike 1049)
  "\u001b[?25h", // cursor shown
  "\u001b[?2004l", // bracketed paste off
  "\u001b[?1000l\u001b[?1002l\u001b[?1003l\u001b[?1006l", // mouse reporting off
  "\u001b[?1004l", // focus reporting off
  "\u001b[<u", // kitty keyboard protocol: pop
  "\u001b[>4m", // xterm modifyOtherKeys reset
].join("");

interface TtyIn {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
}
interface TtyOut {
  isTTY?: boolean;
  write(text: string): unknown;
}

export function restoreTerminal(stdin: TtyIn, outputs: readonly TtyOut[]): void {
  if (stdin.isTTY && typeof stdin.setRawMode === "function") {
    try {
      stdin.setRawMode(false);
    } catch {
      // The terminal went away with the session: nothing left to restore.
    }
  }
  const tty = outputs.find((stream) => stream.isTTY === true);
  tty?.write(RESTORE_SEQUENCE);
}
