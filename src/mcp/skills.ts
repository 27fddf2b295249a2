/**
 * Mesh skills offered to Claude Code: each skill is an MCP prompt (a slash command; its instructions are the
 * prompt text) and a resource `skill://claudemesh/<name>`. The lists come from the daemon on every request.
 *
 * Refresh: the server polls the daemon's skill list (names, descriptions, share times) every
 * {@link DEFAULT_SKILL_POLL_MS} and sends `notifications/prompts/list_changed` and
 * `notifications/resources/list_changed` when it differs. Polling, not a broker push, because it works with
 * every broker (a reference broker has no skill-change push), needs nothing across broker nodes (every
 * node reads the same table), and costs one local request per interval; a skill change is rare and a few
 * seconds of delay before `/name` appears is fine.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { SkillView } from "../daemon-api/contract.js";
import type { DaemonClient } from "../daemon-api/client.js";

export const SKILL_URI_PREFIX = "skill://claudemesh/";
/** How often the skill list is compared with the last one seen (`CLAUDEMESH_MCP_SKILL_POLL_MS` overrides). */
export const DEFAULT_SKILL_POLL_MS = 10_000;

type Client = () => Promise<DaemonClient>;

function describeSkill(skill: SkillView): string {
  const about = skill.description || `Mesh skill "${skill.name}"`;
  return `${about} (shared on the mesh by ${skill.author})`;
}

/**
 * The last skill listing seen, by the poll or by a client's list request: a change is announced relative to
 * what the client could already have seen.
 */
export class SkillListing {
  #last: string | null = null;

  /** Records `skills`; true when they differ from a listing seen before. */
  seen(skills: readonly SkillView[]): boolean {
    const now = fingerprint(skills);
    const changed = this.#last !== null && now !== this.#last;
    this.#last = now;
    return changed;
  }
}

async function listSkills(client: Client, listing: SkillListing): Promise<SkillView[]> {
  const { skills } = await (await client()).call("listSkills", {});
  listing.seen(skills);
  return skills;
}

export async function listSkillPrompts(client: Client, listing: SkillListing) {
  const skills = await listSkills(client, listing);
  return { prompts: skills.map((s) => ({ name: s.name, description: describeSkill(s) })) };
}

async function instructionsOf(client: Client, name: string): Promise<string> {
  const { skill } = await (await client()).call("getSkill", { name });
  if (skill === null) {
    throw new McpError(ErrorCode.InvalidParams, `no mesh skill named "${name}" (it may have been removed)`);
  }
  return skill.instructions;
}

export async function getSkillPrompt(client: Client, name: string) {
  return {
    description: `Mesh skill "${name}"`,
    messages: [
      { role: "user" as const, content: { type: "text" as const, text: await instructionsOf(client, name) } },
    ],
  };
}

export async function listSkillResources(client: Client, listing: SkillListing) {
  const skills = await listSkills(client, listing);
  return {
    resources: skills.map((s) => ({
      uri: `${SKILL_URI_PREFIX}${s.name}`,
      name: s.name,
      description: describeSkill(s),
      mimeType: "text/markdown",
    })),
  };
}

export async function readSkillResource(client: Client, uri: string) {
  if (!uri.startsWith(SKILL_URI_PREFIX)) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `unknown resource ${uri}: mesh skills are ${SKILL_URI_PREFIX}<name>`,
    );
  }
  const name = decodeURIComponent(uri.slice(SKILL_URI_PREFIX.length));
  return { contents: [{ uri, mimeType: "text/markdown", text: await instructionsOf(client, name) }] };
}

/** What makes two listings differ for a client: the names and what it shows of each. */
function fingerprint(skills: readonly SkillView[]): string {
  return JSON.stringify(skills.map((s) => [s.name, s.description, s.created_at]));
}

/**
 * Polls the skill list until `signal` aborts and calls `onChange` when it differs from the last one seen.
 * The first listing only sets the baseline. A failed poll (daemon restarting) is skipped.
 */
export function watchSkills(options: {
  client: Client;
  listing: SkillListing;
  intervalMs: number;
  onChange: () => Promise<void>;
  onError: (err: unknown) => void;
  signal: AbortSignal;
}): void {
  let running = false;
  const poll = async () => {
    if (running) return;
    running = true;
    try {
      const { skills } = await (await options.client()).call("listSkills", {});
      if (options.listing.seen(skills)) await options.onChange();
    } catch (err) {
      options.onError(err);
    } finally {
      running = false;
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), options.intervalMs);
  timer.unref();
  options.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
