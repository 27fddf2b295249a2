/**
 * The MCP tools: a small, stable set (`send_message`, `list_peers`, `read_inbox`, and the state, memory,
 * task, lease, topic and file tools), one module per family under `tools/`. Each validates its arguments
 * with zod (the JSON schema the client sees is made from the same definition) and returns text a model
 * can act on; failures come back as `isError` results carrying what to do, never as exceptions.
 */
import { z } from "zod";
import { DaemonApiError, type DaemonClient } from "../daemon-api/client.js";
import { shortKey } from "../claude-code/peer-text.js";
import { unreachableText } from "./daemon-access.js";
import { InvalidArguments, type Tool } from "./tools/define.js";
import { getFile, shareFile } from "./tools/files.js";
import { listPeers, postTopic, readInbox, sendMessage, topicHistory } from "./tools/messaging.js";
import { getState, recall, remember, setState } from "./tools/state.js";
import {
  acquireLease,
  claimTask,
  completeTask,
  createTask,
  listLeases,
  listTasks,
  releaseLease,
} from "./tools/work.js";

export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: "text"; text: string }>;
  isError?: boolean;
}

export const TOOLS: readonly Tool[] = [
  sendMessage,
  listPeers,
  readInbox,
  getState,
  setState,
  remember,
  recall,
  listTasks,
  createTask,
  claimTask,
  completeTask,
  acquireLease,
  releaseLease,
  listLeases,
  postTopic,
  topicHistory,
  shareFile,
  getFile,
];

/** The `tools/list` entries. */
export function toolList(): Array<{
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}> {
  return TOOLS.map((tool) => {
    const { $schema: _schema, ...inputSchema } = z.toJSONSchema(tool.input, { io: "input" });
    return {
      name: tool.name,
      description: tool.description,
      inputSchema: { type: "object", ...inputSchema },
    };
  });
}

function failureText(err: unknown): string {
  if (err instanceof DaemonApiError) {
    const candidates =
      err.candidates && err.candidates.length > 0
        ? ` Candidates: ${err.candidates
            .map(
              (c) =>
                `${c.display_name} (${shortKey(c.session_pubkey ?? c.pubkey)}${c.online ? "" : ", offline"})`,
            )
            .join(", ")}.`
        : "";
    return `claudemesh refused: ${err.message}.${candidates}${err.hint ? ` ${err.hint}.` : ""}`;
  }
  return unreachableText(err);
}

/** Runs one tool call; never throws. */
export async function callTool(
  name: string,
  rawArgs: unknown,
  client: () => Promise<DaemonClient>,
): Promise<ToolResult> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) {
    return {
      content: [
        { type: "text", text: `Unknown tool "${name}". Tools: ${TOOLS.map((t) => t.name).join(", ")}.` },
      ],
      isError: true,
    };
  }
  try {
    return { content: [{ type: "text", text: await tool.call(client, rawArgs) }] };
  } catch (err) {
    const text = err instanceof InvalidArguments ? err.message : failureText(err);
    return { content: [{ type: "text", text }], isError: true };
  }
}
