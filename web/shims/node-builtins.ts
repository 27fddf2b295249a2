/**
 * Stand-ins for the Node modules the shared client core names but the web app never reaches: Node's HTTP
 * client (the page moves file bytes with the browser's, web/src/transfer.ts) and the host name (the page
 * gives its own in the hello).
 */
function unavailable(): never {
  throw new Error("not available in the browser");
}

export const request = unavailable;
export const hostname = (): string => "browser";
