/**
 * `state get|set|list|watch` and `context share|get|list` (protocol.md §6.1, §6.7). The daemon (or, with
 * `--no-daemon`, the same code in this process) encrypts values, summaries, files and findings before
 * they leave and decrypts them on read; `context get` searches the decrypted contexts.
 */
import type { ContextView, StateChangeEvent, StateEntryView } from "../../daemon-api/contract.js";
import { followEvents } from "../../daemon-api/events.js";
import { STATE_VALUE_MAX_BYTES } from "../../protocol/families/state.js";
import { JsonTooDeepError, parseJsonText } from "../../protocol/json-text.js";
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import type { CONTEXT_SHARE_FLAGS, STATE_SET_FLAGS } from "../flags/state.js";
import { daemon, meshParam, readStdin, withoutFinalNewline } from "../services.js";

/** `<value>` as stored: JSON when it parses (unless `--string`), else the text itself. */
export function parseStateValue(text: string, forceString: boolean): unknown {
  if (forceString) return text;
  try {
    return parseJsonText(text);
  } catch (error) {
    if (error instanceof JsonTooDeepError) {
      throw usageError(
        `the value is nested deeper than ${error.maxDepth} levels`,
        "flatten it, or pass --string to store the text as it is",
      );
    }
    return text;
  }
}

/** A value for people: strings as they are, everything else as JSON. */
function showValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function entryJson(e: StateEntryView): Record<string, unknown> {
  return { key: e.key, value: e.value, updated_by: e.updated_by, updated_at: e.updated_at };
}

function requireKey(key: string | undefined): string {
  if (key === undefined || key === "") throw usageError("the key is empty", "give a key of 1-256 characters");
  if ([...key].length > 256) {
    throw usageError(`the key is ${[...key].length} characters long`, "use a key of at most 256 characters");
  }
  return key;
}

export async function stateSet(ctx: Context<typeof STATE_SET_FLAGS>): Promise<void> {
  const key = requireKey(ctx.args.key);
  const fromStdin = ctx.args.value === "-";
  let text = fromStdin ? await readStdin(ctx.stdin) : (ctx.args.value ?? "");
  // A piped value keeps its text but not the newline the pipe ended it with.
  if (fromStdin && ctx.flags.string) text = withoutFinalNewline(text);
  const value = parseStateValue(text, ctx.flags.string);
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > STATE_VALUE_MAX_BYTES) {
    throw usageError(
      `the value is too large: ${bytes} bytes of JSON (the limit is ${STATE_VALUE_MAX_BYTES} bytes once encrypted, about 24 KB of JSON)`,
      "store a smaller value, or share the content as a file (`claudemesh file share`) and store its id",
      "too_large",
    );
  }
  const result = await (await daemon(ctx)).call("setState", { key, value, mesh: meshParam(ctx) });
  ctx.out.result({ key, ok: result.ok }, () => {
    ctx.out.line(`${ctx.out.c.bold(key)} = ${showValue(value)}`);
  });
}

export async function stateGet(ctx: Context): Promise<void> {
  const key = requireKey(ctx.args.key);
  const entry = await (await daemon(ctx)).call("getState", { key, mesh: meshParam(ctx) });
  ctx.out.result(entryJson(entry), () => {
    const c = ctx.out.c;
    if (entry.updated_by === "" && entry.value === null) {
      ctx.out.line(c.dim(`${key} is not set`));
      return;
    }
    ctx.out.line(showValue(entry.value));
    ctx.out.note(c.dim(`set by ${entry.updated_by} at ${entry.updated_at}`));
  });
}

export async function stateList(ctx: Context): Promise<void> {
  const { entries } = await (await daemon(ctx)).call("listState", { mesh: meshParam(ctx) });
  ctx.out.result({ entries: entries.map(entryJson) }, () => {
    ctx.out.table(
      [{ header: "KEY" }, { header: "VALUE" }, { header: "BY" }, { header: "AT" }],
      entries.map((e) => [e.key, truncate(showValue(e.value), 60), e.updated_by, e.updated_at]),
      "no keys",
    );
  });
}

function isStateChange(data: unknown): data is StateChangeEvent {
  return typeof data === "object" && data !== null && "key" in data && typeof data.key === "string";
}

export async function stateWatch(ctx: Context): Promise<void> {
  const only = ctx.args.key === undefined || ctx.args.key === "" ? null : ctx.args.key;
  const mesh = meshParam(ctx);
  const client = await daemon(ctx);
  const stream = followEvents(client, {
    mesh,
    signal: ctx.signal,
    onOpen: (resumed) => {
      if (!resumed) ctx.out.note(ctx.out.c.dim(`watching ${only ?? "every key"} (Ctrl-C to stop)`));
    },
    onLost: () => ctx.out.note(ctx.out.c.dim("daemon connection lost; reconnecting…")),
  });
  for await (const { event, data } of stream) {
    if (event !== "state_change" || !isStateChange(data)) continue;
    if (only !== null && data.key !== only) continue;
    if (ctx.json) ctx.out.jsonLine({ schema_version: "1", ...entryJson(data) });
    else {
      const c = ctx.out.c;
      ctx.out.line(
        `${c.bold(data.key)} = ${showValue(data.value)} ${c.dim(`(${data.updated_by}, ${data.updated_at})`)}`,
      );
    }
  }
}

function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function contextJson(c: ContextView): Record<string, unknown> {
  return {
    peer_name: c.peer_name,
    summary: c.summary,
    files_read: c.files_read,
    key_findings: c.key_findings,
    tags: c.tags,
    updated_at: c.updated_at,
  };
}

function showContexts(ctx: Context, contexts: ContextView[], empty: string): void {
  ctx.out.result({ contexts: contexts.map(contextJson) }, () => {
    const c = ctx.out.c;
    if (contexts.length === 0) ctx.out.line(c.dim(empty));
    for (const x of contexts) {
      const tags = x.tags.length > 0 ? ` ${c.dim(x.tags.map((t) => `#${t}`).join(" "))}` : "";
      ctx.out.line(`${c.bold(x.peer_name)} ${c.dim(x.updated_at)}${tags}`);
      ctx.out.line(`  ${x.summary}`);
      if (x.files_read.length > 0) ctx.out.line(`  ${c.dim("files:")} ${x.files_read.join(", ")}`);
      for (const f of x.key_findings) ctx.out.line(`  ${c.dim("•")} ${f}`);
    }
  });
}

export async function contextShare(ctx: Context<typeof CONTEXT_SHARE_FLAGS>): Promise<void> {
  const summary = (ctx.args.summary === "-" ? await readStdin(ctx.stdin) : (ctx.args.summary ?? "")).trim();
  if (summary === "")
    throw usageError("the summary is empty", "say what you are working on, or pipe it with -");
  const findings = ctx.flags.findings
    ?.split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const { id } = await (
    await daemon(ctx)
  ).call("shareContext", {
    summary,
    files_read: ctx.flags.files,
    key_findings: findings,
    tags: ctx.flags.tags,
    mesh: meshParam(ctx),
  });
  ctx.out.result({ id }, () => ctx.out.line(`context shared ${ctx.out.c.dim(`(${id})`)}`));
}

export async function contextGet(ctx: Context): Promise<void> {
  const query = (ctx.args.query ?? "").trim();
  if (query === "") throw usageError("the query is empty", "give words to find in summaries, or a tag");
  const { contexts } = await (await daemon(ctx)).call("getContext", { query, mesh: meshParam(ctx) });
  showContexts(ctx, contexts, `no context matches "${query}"`);
}

export async function contextList(ctx: Context): Promise<void> {
  const { contexts } = await (await daemon(ctx)).call("listContexts", { mesh: meshParam(ctx) });
  showContexts(ctx, contexts, "no contexts shared yet");
}
