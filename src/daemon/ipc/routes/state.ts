/**
 * Shared state and contexts (protocol.md §6.1, §6.7), asked on the caller's own connection (a launched
 * session writes under its own name). The client core encrypts values, summaries, files and findings
 * under the mesh data key before they leave and decrypts them on read; `getContext` therefore searches
 * the decrypted `list_contexts` here, since the broker cannot search encrypted summaries.
 */
import type { ContextEntry, StateEntry } from "../../../protocol/index.js";
import type { ContextView, StateChangeEvent, StateEntryView } from "../../../daemon-api/contract.js";
import type { Implementations, RouteContext } from "../app.js";
import { brokerFailure } from "../errors.js";
import type { BrokerLink } from "../../links.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";

export function stateEntryView(e: StateEntry): StateEntryView {
  return { key: e.key, value: e.value, updated_by: e.updatedBy, updated_at: e.updatedAt };
}

export function contextView(c: ContextEntry): ContextView {
  return {
    peer_name: c.peerName,
    summary: c.summary,
    files_read: c.filesRead,
    key_findings: c.keyFindings,
    tags: c.tags,
    updated_at: c.updatedAt,
  };
}

/** The mesh asked for and the connection to ask on: the caller's session link, else the member's. */
function target(
  { daemon, caller }: RouteContext,
  wanted: string | undefined,
): { mesh: MeshRuntime; link: BrokerLink; control: boolean } {
  const mesh = daemon.meshFor(wanted, caller.session);
  mesh.assertUsable();
  const session = caller.session;
  if (session !== null && session.mesh_id === mesh.meshId)
    return { mesh, link: session.link, control: false };
  return { mesh, link: mesh.control, control: true };
}

async function asked<T>(mesh: MeshRuntime, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw brokerFailure(error, mesh.slug);
  }
}

export const stateRoutes = {
  listState: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const entries = await asked(mesh, () => link.listState({ rootKey: mesh.rootKey }));
    return { mesh: mesh.slug, entries: entries.map(stateEntryView) };
  },

  getState: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const entry = await asked(mesh, () => link.getState(input.key, { rootKey: mesh.rootKey }));
    return { mesh: mesh.slug, ...stateEntryView(entry) };
  },

  setState: async (ctx, input) => {
    const { mesh, link, control } = target(ctx, input.mesh);
    await asked(mesh, () => link.setState(input.key, input.value, { rootKey: mesh.rootKey }));
    if (control) {
      // The broker tells every presence but the writer: watchers on this daemon hear of their own
      // member's write here (a session's write reaches them through the member connection).
      const event: StateChangeEvent = {
        mesh: mesh.slug,
        key: input.key,
        value: input.value,
        updated_by: mesh.config.display_name,
        updated_at: new Date().toISOString(),
      };
      ctx.daemon.events.publish("state_change", event, { meshId: mesh.meshId, sessionPubkey: null });
    }
    return { ok: true, mesh: mesh.slug, key: input.key };
  },

  listContexts: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const contexts = await asked(mesh, () => link.listContexts({ rootKey: mesh.rootKey }));
    return { mesh: mesh.slug, contexts: contexts.map(contextView) };
  },

  getContext: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const contexts = await asked(mesh, () => link.getContext(input.query, { rootKey: mesh.rootKey }));
    return { mesh: mesh.slug, contexts: contexts.map(contextView) };
  },

  shareContext: async (ctx, input) => {
    const { mesh, link } = target(ctx, input.mesh);
    const id = await asked(mesh, () =>
      link.shareContext(
        {
          summary: input.summary,
          filesRead: input.files_read,
          keyFindings: input.key_findings,
          tags: input.tags,
        },
        { rootKey: mesh.rootKey },
      ),
    );
    return { mesh: mesh.slug, id };
  },
} satisfies Partial<Implementations>;
