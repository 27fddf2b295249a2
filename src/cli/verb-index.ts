/**
 * Which command module defines the verbs that start with each word, so a command line loads only its own
 * verb's definitions (a warm `send` or a hook starts a fresh process every time). `--help` on its own, or a
 * word not listed here, loads the whole table (table.ts). A unit test keeps this index and the table alike.
 */
import type { VerbDef } from "./command.js";

type Loader = () => Promise<readonly VerbDef[]>;

const talk: Loader = async () => (await import("./commands/talk.js")).TALK_VERBS;
const mesh: Loader = async () => (await import("./commands/mesh.js")).MESH_VERBS;
const invite: Loader = async () => (await import("./commands/invite.js")).INVITE_VERBS;
const moderation: Loader = async () => (await import("./commands/moderation.js")).MODERATION_VERBS;
const presence: Loader = async () => (await import("./commands/presence.js")).PRESENCE_VERBS;
const install: Loader = async () => (await import("./commands/install.js")).INSTALL_VERBS;
const memory: Loader = async () => (await import("./commands/memory.js")).MEMORY_VERBS;

export const VERB_INDEX: Readonly<Record<string, Loader>> = {
  up: async () => [(await import("./commands/up.js")).upVerb],
  open: async () => [(await import("./commands/open.js")).openVerb],
  broker: async () => [(await import("./commands/broker.js")).brokerVerb],
  mesh,
  list: mesh,
  leave: mesh,
  whoami: mesh,
  invite,
  join: invite,
  members: moderation,
  kick: moderation,
  ban: moderation,
  unban: moderation,
  peers: talk,
  send: talk,
  message: talk,
  inbox: async () => [(await import("./commands/inbox.js")).inbox],
  status: presence,
  summary: presence,
  group: presence,
  info: async () => [(await import("./commands/info.js")).infoVerb],
  install,
  uninstall: install,
  launch: async () => [(await import("./commands/launch.js")).launchVerb],
  mcp: async () => [(await import("./commands/mcp.js")).mcpVerb],
  hook: async () => (await import("./commands/hook.js")).HOOK_VERBS,
  daemon: async () => (await import("./commands/daemon.js")).DAEMON_VERBS,
  doctor: async () => [(await import("./commands/doctor.js")).doctorVerb],
  state: async () => (await import("./commands/state.js")).STATE_VERBS,
  context: async () => (await import("./commands/state.js")).STATE_VERBS,
  remember: memory,
  recall: memory,
  forget: memory,
  skill: async () => (await import("./commands/skills.js")).SKILL_VERBS,
  task: async () => (await import("./commands/tasks.js")).TASK_VERBS,
  lease: async () => (await import("./commands/leases.js")).LEASE_VERBS,
  audit: async () => (await import("./commands/audit.js")).AUDIT_VERBS,
  topic: async () => (await import("./commands/topics.js")).TOPIC_VERBS,
  file: async () => (await import("./commands/files.js")).FILE_VERBS,
  schedule: async () => (await import("./commands/schedules.js")).SCHEDULE_VERBS,
};

/** The verbs a command line can be about: its first word's group, or the whole table. */
export async function verbsFor(argv: readonly string[]): Promise<readonly VerbDef[]> {
  const dashdash = argv.indexOf("--");
  const first = (dashdash < 0 ? argv : argv.slice(0, dashdash)).find((arg) => !arg.startsWith("-"));
  const load = first === undefined ? undefined : VERB_INDEX[first];
  if (load !== undefined && Object.hasOwn(VERB_INDEX, first ?? "")) return load();
  return (await import("./table.js")).VERBS;
}
