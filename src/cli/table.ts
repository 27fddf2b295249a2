/**
 * The command table: every verb of the CLI, in help order. Parsing, `--help`, `--json` and errors all
 * come from these definitions. It is loaded for every command line, so the definitions stay light: to add
 * a verb, define it with `defineVerb` in the file of its group under commands/ (name, args, flags, help),
 * write its handler in the same group's file under handlers/ (imported only when the verb runs), then list
 * it here.
 */
import type { VerbDef } from "./command.js";
import { brokerVerb } from "./commands/broker.js";
import { DAEMON_VERBS } from "./commands/daemon.js";
import { doctorVerb } from "./commands/doctor.js";
import { HOOK_VERBS } from "./commands/hook.js";
import { inbox } from "./commands/inbox.js";
import { infoVerb } from "./commands/info.js";
import { INSTALL_VERBS } from "./commands/install.js";
import { INVITE_VERBS } from "./commands/invite.js";
import { launchVerb } from "./commands/launch.js";
import { mcpVerb } from "./commands/mcp.js";
import { MESH_VERBS } from "./commands/mesh.js";
import { MODERATION_VERBS } from "./commands/moderation.js";
import { PRESENCE_VERBS } from "./commands/presence.js";
import { STATE_VERBS } from "./commands/state.js";
import { TALK_VERBS } from "./commands/talk.js";
import { upVerb } from "./commands/up.js";
import { openVerb } from "./commands/open.js";
import { MEMORY_VERBS } from "./commands/memory.js";
import { SKILL_VERBS } from "./commands/skills.js";
import { TASK_VERBS } from "./commands/tasks.js";
import { LEASE_VERBS } from "./commands/leases.js";
import { AUDIT_VERBS } from "./commands/audit.js";
import { TOPIC_VERBS } from "./commands/topics.js";
import { FILE_VERBS } from "./commands/files.js";
import { SCHEDULE_VERBS } from "./commands/schedules.js";

export const VERBS: readonly VerbDef[] = [
  upVerb,
  openVerb,
  brokerVerb,
  ...MESH_VERBS,
  ...INVITE_VERBS,
  ...MODERATION_VERBS,
  ...TALK_VERBS,
  inbox,
  ...PRESENCE_VERBS,
  infoVerb,
  ...STATE_VERBS,
  ...MEMORY_VERBS,
  ...SKILL_VERBS,
  ...TASK_VERBS,
  ...LEASE_VERBS,
  ...AUDIT_VERBS,
  ...TOPIC_VERBS,
  ...FILE_VERBS,
  ...SCHEDULE_VERBS,
  ...INSTALL_VERBS,
  launchVerb,
  mcpVerb,
  ...HOOK_VERBS,
  ...DAEMON_VERBS,
  doctorVerb,
];
