/**
 * The entries `install` adds to Claude Code's files, as pure edits of parsed documents (tested without a
 * disk): the MCP server in `~/.claude.json`; the hooks and the `Bash(claudemesh:*)` permission in
 * `~/.claude/settings.json`. Each edit is idempotent and its removal takes out exactly what it put in.
 */
import { isDeepStrictEqual } from "node:util";
import {
  BASH_PERMISSION,
  MCP_SERVER_NAME,
  QUICK_HOOK_TIMEOUT_S,
  isObject,
  ourHookVerb,
  type JsonObject,
} from "../files.js";

export interface McpEntry {
  type: "stdio";
  command: string;
  args: string[];
}

export function mcpEntry(nodePath: string, binPath: string): McpEntry {
  return { type: "stdio", command: nodePath, args: [binPath, "mcp"] };
}

/**
 * The hook entries of cli.md "Delivery lanes", for the absolute command `cm`. The waiter also starts with
 * the session (SessionStart honours `asyncRewake` in Claude Code 2.1.3xx), so a message sent before the
 * first prompt wakes a fresh session.
 */
export function hookGroups(cm: string): Record<"SessionStart" | "UserPromptSubmit" | "Stop", JsonObject[]> {
  const waiter = {
    hooks: [{ type: "command", command: `${cm} hook wait`, asyncRewake: true, timeout: 86400 }],
  };
  return {
    SessionStart: [waiter],
    UserPromptSubmit: [
      { hooks: [{ type: "command", command: `${cm} hook prompt`, timeout: QUICK_HOOK_TIMEOUT_S }] },
    ],
    Stop: [
      { hooks: [{ type: "command", command: `${cm} hook idle`, timeout: QUICK_HOOK_TIMEOUT_S }] },
      waiter,
    ],
  };
}

/** Containers (by dotted path) that an edit created, so removal can drop them again if left empty. */
export type Created = Set<string>;

function child(doc: JsonObject, key: string, created: Created, path: string): JsonObject {
  const value = doc[key];
  if (isObject(value)) return value;
  created.add(path);
  const made: JsonObject = {};
  doc[key] = made;
  return made;
}

function list(doc: JsonObject, key: string, created: Created, path: string): unknown[] {
  const value = doc[key];
  if (Array.isArray(value)) return value;
  created.add(path);
  const made: unknown[] = [];
  doc[key] = made;
  return made;
}

/** Drops `key` from `doc` when it is an empty container and (if `created` is known) this install made it. */
function pruneEmpty(doc: JsonObject, key: string, path: string, created: Created | null): void {
  const value = doc[key];
  const empty =
    (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0);
  if (empty && (created === null || created.has(path))) delete doc[key];
}

export function addMcpServer(doc: JsonObject, entry: McpEntry, created: Created): void {
  const servers = child(doc, "mcpServers", created, "mcpServers");
  if (!isDeepStrictEqual(servers[MCP_SERVER_NAME], entry)) servers[MCP_SERVER_NAME] = entry;
}

/** Removes our server; puts back the entry that was there before install, if any. */
export function removeMcpServer(doc: JsonObject, previous: unknown, created: Created | null): void {
  const servers = doc.mcpServers;
  if (!isObject(servers)) return;
  if (previous === undefined || previous === null) delete servers[MCP_SERVER_NAME];
  else servers[MCP_SERVER_NAME] = previous;
  pruneEmpty(doc, "mcpServers", "mcpServers", created);
}

function isOurGroup(group: unknown): boolean {
  return (
    isObject(group) &&
    Array.isArray(group.hooks) &&
    group.hooks.length > 0 &&
    group.hooks.every((h) => isObject(h) && typeof h.command === "string" && ourHookVerb(h.command) !== null)
  );
}

/** Takes our hooks out of every event (a group mixing ours with the user's keeps the user's). */
export function removeHooks(settings: JsonObject, created: Created | null): void {
  const hooks = settings.hooks;
  if (!isObject(hooks)) return;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    const kept: unknown[] = [];
    let removed = false;
    for (const group of groups) {
      if (isOurGroup(group)) {
        removed = true;
        continue;
      }
      if (isObject(group) && Array.isArray(group.hooks)) {
        const others = group.hooks.filter(
          (h) => !(isObject(h) && typeof h.command === "string" && ourHookVerb(h.command) !== null),
        );
        if (others.length !== group.hooks.length) {
          removed = true;
          if (others.length > 0) kept.push({ ...group, hooks: others });
          continue;
        }
      }
      kept.push(group);
    }
    if (!removed) continue;
    hooks[event] = kept;
    pruneEmpty(hooks, event, `hooks.${event}`, created);
  }
  pruneEmpty(settings, "hooks", "hooks", created);
}

/** Our hook groups beside the user's; stale ones of ours (another install path) are replaced. */
export function addHooks(settings: JsonObject, cm: string, created: Created): void {
  const wanted = hookGroups(cm);
  const hooks = child(settings, "hooks", created, "hooks");
  for (const [event, groups] of Object.entries(wanted)) {
    const current = list(hooks, event, created, `hooks.${event}`);
    const exact = groups.every((g) => current.some((c) => isDeepStrictEqual(c, g)));
    const ours = current.filter(isOurGroup);
    if (exact && ours.length === groups.length) continue;
    hooks[event] = [...current.filter((g) => !isOurGroup(g)), ...groups];
  }
}

export function addPermission(settings: JsonObject, created: Created): void {
  const permissions = child(settings, "permissions", created, "permissions");
  const allow = list(permissions, "allow", created, "permissions.allow");
  if (!allow.includes(BASH_PERMISSION)) allow.push(BASH_PERMISSION);
}

export function hasPermission(settings: JsonObject): boolean {
  const permissions = settings.permissions;
  return (
    isObject(permissions) && Array.isArray(permissions.allow) && permissions.allow.includes(BASH_PERMISSION)
  );
}

export function removePermission(settings: JsonObject, created: Created | null): void {
  const permissions = settings.permissions;
  if (!isObject(permissions) || !Array.isArray(permissions.allow)) return;
  permissions.allow = permissions.allow.filter((p) => p !== BASH_PERMISSION);
  pruneEmpty(permissions, "allow", "permissions.allow", created);
  pruneEmpty(settings, "permissions", "permissions", created);
}
