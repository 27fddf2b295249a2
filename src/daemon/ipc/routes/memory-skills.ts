/**
 * Memory and skills (`/v1/memory`, `/v1/skills`), asked on the caller's own connection (so a launched
 * session's memories carry its name). Memory content and skill instructions are encrypted under the mesh's
 * data key here, before they leave the machine, and decrypted on the way back (protocol.md §5.8).
 */
import {
  meshDataKey,
  memoryQueryTokens,
  readText,
  sealMemory,
  sealText,
  type MeshClientError,
} from "../../../client/index.js";
import { memoryView, skillDetailView, skillView } from "../../../daemon-api/views.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import type { BrokerLink } from "../../links.js";
import type { Implementations, RouteContext } from "../app.js";
import { LocalError, brokerFailure } from "../errors.js";

/** The mesh asked for and the connection to ask it on: the caller's session's, else the member's. */
function target(
  { daemon, caller }: RouteContext,
  wanted: string | undefined,
): { mesh: MeshRuntime; link: BrokerLink } {
  const mesh = daemon.meshFor(wanted, caller.session);
  mesh.assertUsable();
  const session = caller.session;
  const link = session !== null && session.mesh_id === mesh.meshId ? session.link : mesh.control;
  return { mesh, link };
}

/** Runs a broker request, turning its failure into the API's error. */
async function ask<T>(mesh: MeshRuntime, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw brokerFailure(error, mesh.slug);
  }
}

function isNotFound(error: unknown): error is MeshClientError {
  return typeof error === "object" && error !== null && "code" in error && error.code === "not_found";
}

export const memorySkillRoutes = {
  remember: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const sealed = sealMemory(input.content, mesh.rootKey);
    const stored = await ask(mesh, () => link.remember({ ...sealed, tags: input.tags }));
    return { id: stored.id };
  },

  recall: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const tokens = memoryQueryTokens(input.query, mesh.rootKey);
    if (tokens.length === 0) {
      throw new LocalError(
        "invalid_argument",
        `the query "${input.query}" has no searchable words`,
        "search with words of 2 or more letters or digits",
      );
    }
    // Only the blind tokens travel: the broker never sees the query's words.
    const found = await ask(mesh, () => link.recall("", tokens));
    return { memories: found.map((m) => memoryView(m, readText(m.content, meshDataKey(mesh.rootKey)))) };
  },

  forget: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    try {
      await link.forget(input.id);
    } catch (error) {
      if (isNotFound(error)) {
        throw new LocalError(
          "not_found",
          `no memory ${input.id} in mesh "${mesh.slug}"`,
          "`claudemesh recall <words>` shows memory ids",
        );
      }
      throw brokerFailure(error, mesh.slug);
    }
    return { id: input.id, forgotten: true };
  },

  shareSkill: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const ack = await ask(mesh, () =>
      link.shareSkill({
        name: input.name,
        description: input.description ?? "",
        instructions: sealText(input.instructions, meshDataKey(mesh.rootKey)),
        tags: input.tags,
        manifest: input.manifest,
      }),
    );
    return { name: ack.name, action: "shared" as const };
  },

  listSkills: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const skills = await ask(mesh, () => link.listSkills(input.query));
    return { skills: skills.map(skillView) };
  },

  getSkill: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const skill = await ask(mesh, () => link.getSkill(input.name));
    return {
      skill:
        skill === null
          ? null
          : skillDetailView(skill, readText(skill.instructions, meshDataKey(mesh.rootKey))),
    };
  },

  removeSkill: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const ack = await ask(mesh, () => link.removeSkill(input.name));
    return {
      name: ack.name,
      action: ack.action === "removed" ? ("removed" as const) : ("not_found" as const),
    };
  },
} satisfies Partial<Implementations>;
