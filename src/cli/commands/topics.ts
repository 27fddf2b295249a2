/** Topics: `topic create|list|join|leave|members|post|history|tail` (implementations in handlers/topics.ts). */
import { defineVerb } from "../command.js";
import { SEND_FLAGS } from "../flags/talk.js";
import { TOPIC_CREATE_FLAGS, TOPIC_HISTORY_FLAGS, TOPIC_JOIN_FLAGS } from "../flags/topics.js";

const NAME = { name: "name", description: "the topic's name (with or without #)" };

const create = defineVerb({
  path: ["topic", "create"],
  section: "Shared mesh features",
  summary: "Create a topic with end-to-end encrypted history; your daemon makes its key",
  description:
    "Names are 1-50 characters of a-z, 0-9 and -. Creating a name that exists joins nothing and changes\n" +
    "nothing (created: false). Every mesh has the public topic `general`.",
  args: [NAME],
  flags: TOPIC_CREATE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    'claudemesh topic create infra --description "deploys and on-call"',
    "claudemesh topic create incident-42 --private",
  ],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicCreate(ctx),
});

const list = defineVerb({
  path: ["topic", "list"],
  section: "Shared mesh features",
  summary: "Topics you can see, whether you joined them, and how many messages you have not read",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh topic list", "claudemesh topic list --json"],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicList(ctx),
});

const join = defineVerb({
  path: ["topic", "join"],
  section: "Shared mesh features",
  summary: "Join a public topic (a lead adds members to a private one with --member)",
  description:
    "A newcomer gets the topic key from any online member's daemon, automatically, and can then read\n" +
    "the history.",
  args: [NAME],
  flags: TOPIC_JOIN_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh topic join infra", "claudemesh topic join incident-42 --member bob"],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicJoin(ctx),
});

const leave = defineVerb({
  path: ["topic", "leave"],
  section: "Shared mesh features",
  summary: "Leave a topic (its posts stop reaching you)",
  args: [NAME],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh topic leave infra"],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicLeave(ctx),
});

const members = defineVerb({
  path: ["topic", "members"],
  section: "Shared mesh features",
  summary: "Who is in a topic, their role, and whether they hold its key yet",
  args: [NAME],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh topic members general"],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicMembers(ctx),
});

const post = defineVerb({
  path: ["topic", "post"],
  section: "Shared mesh features",
  summary: "Post to a topic, encrypted under its key (same as send '#<name>')",
  args: [NAME, { name: "message", description: "the text, or - to read it from stdin" }],
  flags: SEND_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    'claudemesh topic post infra "deploying v2 at 14:00"',
    "claudemesh topic post general - < notes.md",
  ],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicPost(ctx),
});

const history = defineVerb({
  path: ["topic", "history"],
  section: "Shared mesh features",
  summary: "Past messages of a topic, oldest first, decrypted",
  description: "Bodies an older client sent in the clear are shown marked unencrypted.",
  args: [NAME],
  flags: TOPIC_HISTORY_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh topic history general", "claudemesh topic history infra --limit 200 --json"],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicHistory(ctx),
});

const tail = defineVerb({
  path: ["topic", "tail"],
  section: "Shared mesh features",
  summary: "Stream a topic's new messages until Ctrl-C, marking them read",
  args: [NAME],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh topic tail general", "claudemesh topic tail infra --json"],
  handler: async (ctx) => (await import("../handlers/topics.js")).topicTail(ctx),
});

export const TOPIC_VERBS = [create, list, join, leave, members, post, history, tail];
