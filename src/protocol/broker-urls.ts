/**
 * A mesh's broker address: one WebSocket URL, or the URLs of several nodes of one broker cluster
 * (protocol.md §4.14), the first being the primary. The config, the invite link and the CLI check a list
 * with the same rules, here.
 */
import { MAX_BROKER_URLS } from "./constants.js";

/**
 * Why `url` is not a broker WebSocket URL ("must start with ws:// or wss://"), or null when it is one.
 * Problems are phrased to follow the thing's name: `field "broker_url" must start with …`.
 */
export function brokerUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL (expected ws://host:port/ws or wss://host/ws)";
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") return "must start with ws:// or wss://";
  if (parsed.host === "") return "names no host";
  return null;
}

/** Why `urls` is not a usable broker list (empty, too long, a bad URL, a duplicate), or null. */
export function brokerUrlListProblem(urls: readonly string[]): string | null {
  if (urls.length === 0) return "lists no broker URL";
  if (urls.length > MAX_BROKER_URLS) return `lists ${urls.length} broker URLs (at most ${MAX_BROKER_URLS})`;
  const seen = new Set<string>();
  for (const url of urls) {
    const problem = brokerUrlProblem(url);
    if (problem !== null) return `has "${url}", which ${problem}`;
    if (seen.has(url)) return `lists "${url}" twice`;
    seen.add(url);
  }
  return null;
}

/** A comma-separated list (`CLAUDEMESH_BROKER_URL`, `--broker a,b`): trimmed, empty entries dropped. */
export function splitBrokerUrls(text: string): string[] {
  return text
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
}
