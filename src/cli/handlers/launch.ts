/**
 * `claudemesh launch`: a Claude Code session joined to the mesh as its own peer. Picks the Claude session
 * id, registers the session with the daemon (which makes or reuses the session key and opens its
 * connection — no key crosses the local API), hands the session token to `claude` through a 0600 file
 * named in CLAUDEMESH_IPC_TOKEN_FILE, runs `claude` with the development-channels flag, and on the way
 * out deregisters, restores the terminal and exits with claude's own status.
 */
import {
  isObject,
  readJsonObject,
  claudeFiles,
  CHANNEL_FLAG,
  CHANNEL_FLAG_VALUE,
  MCP_SERVER_NAME,
} from "../../claude-code/files.js";
import type { RegisterSessionResponse } from "../../daemon-api/contract.js";
import { cliBinPath } from "../../daemon-api/lifecycle.js";
import { cliMissingAdvice, cliOnPath } from "../../claude-code/cli-on-path.js";
import { shortKey } from "../../claude-code/peer-text.js";
import { MessageMode } from "../../protocol/index.js";
import type { Context } from "../command.js";
import type { LAUNCH_FLAGS } from "../flags/launch.js";
import { install } from "../../claude-code/install/install.js";
import { mcpEntry } from "../../claude-code/install/entries.js";
import { exitStatus, runClaude, type ClaudeExit } from "../../claude-code/launch/run-claude.js";
import { chooseSession } from "../../claude-code/launch/session-id.js";
import { restoreTerminal } from "../../claude-code/launch/terminal.js";
import { daemon, meshParam } from "../services.js";
import { removeSessionToken, writeSessionToken } from "../../claude-code/session-token.js";

/** How long deregistering may take before launch exits anyway (the daemon's reaper finishes the job). */
const DEREGISTER_MS = 3_000;

function mcpRegistered(env: NodeJS.ProcessEnv): boolean {
  try {
    const servers = readJsonObject(claudeFiles.globalConfig(env)).doc.mcpServers;
    return isObject(servers) && servers[MCP_SERVER_NAME] !== undefined;
  } catch {
    // An unreadable ~/.claude.json: Claude Code will complain about it itself.
    return false;
  }
}

/**
 * The arguments before the user's: the channel flag (variadic in Claude Code, so an option must follow it
 * or it would swallow a prompt), and the MCP server for this session when it is not registered.
 */
export function claudeArgs(sessionArgs: readonly string[], inlineMcp: string | null): string[] {
  const head: string[] = [];
  if (inlineMcp !== null) head.push(`--mcp-config=${inlineMcp}`);
  const followed = sessionArgs[0]?.startsWith("-") === true || head.length > 0;
  const channel = followed ? [CHANNEL_FLAG, CHANNEL_FLAG_VALUE] : [`${CHANNEL_FLAG}=${CHANNEL_FLAG_VALUE}`];
  return [...channel, ...head, ...sessionArgs];
}

async function deregister(
  ctx: Context,
  client: Awaited<ReturnType<typeof daemon>>,
  token: string,
): Promise<void> {
  const timer = new Promise<"timeout">((resolve) =>
    setTimeout(() => resolve("timeout"), DEREGISTER_MS).unref(),
  );
  try {
    const result = await Promise.race([client.call("deregisterSession", { token: token }), timer]);
    if (result === "timeout")
      ctx.out.warn("the daemon did not confirm the session's end; it will drop it shortly");
  } catch (err) {
    ctx.out.warn(
      `could not deregister the session (${err instanceof Error ? err.message : String(err)}); the daemon drops it shortly`,
    );
  }
}

/**
 * The command that resumes this session in the mesh with the same identity (Claude Code prints its own
 * `claude --resume <id>`, which resumes outside the mesh).
 */
export function resumeCommand(
  ctx: Pick<Context<typeof LAUNCH_FLAGS>, "mesh" | "flags">,
  sessionId: string,
): string {
  const parts = ["claudemesh", "launch"];
  if (ctx.mesh !== undefined) parts.push("--mesh", ctx.mesh);
  if (ctx.flags.name !== undefined) parts.push("--name", shellWord(ctx.flags.name));
  parts.push("--", "--resume", sessionId);
  return parts.join(" ");
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

export async function launch(ctx: Context<typeof LAUNCH_FLAGS>): Promise<number> {
  const cwd = process.cwd();
  const env = ctx.env;
  const choice = chooseSession(ctx.rest, cwd, env);
  if (choice.note) ctx.out.note(`claudemesh: ${choice.note}`);
  let inlineMcp: string | null = null;
  if (!mcpRegistered(env)) {
    if (ctx.flags.yes) {
      const report = install({ hooks: true, skill: true, service: false, env });
      ctx.out.note("claudemesh: registered with Claude Code (claudemesh install --no-service)");
      if (report.skill?.note) ctx.out.note(`claudemesh: ${report.skill.note}`);
    } else {
      inlineMcp = JSON.stringify({
        mcpServers: { [MCP_SERVER_NAME]: mcpEntry(process.execPath, cliBinPath()) },
      });
      ctx.out.note(
        "claudemesh: not registered with Claude Code; using the MCP server for this session only " +
          "(run `claudemesh install` for hooks, the skill and the permission)",
      );
    }
  }
  if (cliOnPath(env) === null) {
    const advice = cliMissingAdvice();
    ctx.out.warn(`${advice.detail}; fix: ${advice.fix}`);
  }
  const mode = MessageMode.safeParse(ctx.flags.messageMode);
  const client = await daemon(ctx);
  const session: RegisterSessionResponse = await client.call("registerSession", {
    pid: process.pid,
    session_id: choice.sessionId,
    mesh: meshParam(ctx),
    name: ctx.flags.name,
    role: ctx.flags.role,
    groups: ctx.flags.groups,
    message_mode: mode.success ? mode.data : undefined,
    cwd,
    channel_flag: true,
  });
  let tokenFile: string | null = null;
  let exit: ClaudeExit | null = null;
  try {
    tokenFile = writeSessionToken(choice.sessionId, session.token);
    ctx.out.note(
      `claudemesh: on mesh ${session.slug} as "${session.display_name}" (session ${shortKey(session.session_pubkey)})`,
    );
    exit = await runClaude({
      bin: env.CLAUDEMESH_CLAUDE_BIN || "claude",
      args: claudeArgs(choice.args, inlineMcp),
      env: { ...env, CLAUDEMESH_IPC_TOKEN_FILE: tokenFile },
      cwd,
      interactive: process.stdin.isTTY === true,
    });
  } finally {
    restoreTerminal(process.stdin, [process.stdout, process.stderr]);
    await deregister(ctx, client, session.token);
    if (tokenFile !== null) removeSessionToken(tokenFile);
  }
  const status = exitStatus(exit);
  if (!ctx.json)
    ctx.out.note(`claudemesh: to resume this session in the mesh: ${resumeCommand(ctx, choice.sessionId)}`);
  if (ctx.json) {
    ctx.out.data({
      session_id: choice.sessionId,
      session_pubkey: session.session_pubkey,
      mesh: session.slug,
      display_name: session.display_name,
      exit_code: status,
    });
  }
  return status;
}
