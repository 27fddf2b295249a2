/**
 * Which session a hook acts for: the launched session named by `CLAUDEMESH_IPC_TOKEN_FILE`; else the
 * launched session whose Claude session id is in the hook's JSON; else the member (ambient mode: plain
 * `claude` with claudemesh installed sees member-addressed messages and broadcasts only).
 */
import { createHash } from "node:crypto";
import { DaemonClient, sessionTokenFromEnv } from "../../daemon-api/client.js";
import { readSessionToken } from "../session-token.js";
import type { HookInput } from "./input.js";

export interface HookTarget {
  client: DaemonClient;
  /** Whether a launched session was found (else the hook acts for the member). */
  launched: boolean;
  /** Names this session's waiter slot: one `hook wait` per key. */
  key: string;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

export function hookTarget(input: HookInput, env: NodeJS.ProcessEnv, timeoutMs: number): HookTarget {
  const token = sessionTokenFromEnv(env) ?? (input.session_id ? readSessionToken(input.session_id) : null);
  const client = new DaemonClient({ token, timeoutMs });
  if (token !== null) return { client, launched: true, key: `session-${digest(token)}` };
  // Ambient: each plain `claude` has its own Stop hook, so its own waiter.
  const claudeSession = input.session_id ?? input.transcript_path ?? `pid-${process.ppid}`;
  return { client, launched: false, key: `member-${digest(claudeSession)}` };
}
