/**
 * Files (protocol.md §5.6, §6.6). The daemon moves the bytes itself: the CLI (the same user on the same
 * machine) names a local path, and the daemon reads, encrypts, seals and uploads it, or downloads,
 * decrypts, checks and writes it. So the member secret key that signs the upload and opens the sealed
 * file key never leaves the daemon, and no plaintext or key crosses the local API.
 */
import { basename } from "node:path";
import { BrokerHttpError, BrokerUnreachableError } from "../../../client/broker-http.js";
import {
  MeshClientError,
  downloadFile,
  fileRecipients,
  meshDataKey,
  uploadFile,
  type FileIdentity,
  type FileReader,
} from "../../../client/index.js";
import { fileView, type FileProgressEvent } from "../../../daemon-api/files.js";
import { meshBrokerUrls } from "../../../host/config.js";
import type { MemberEntry } from "../../../protocol/index.js";
import { downloadTarget, readLocalFile, writeLocalFile } from "../../files/local-files.js";
import type { MeshRuntime } from "../../meshes/mesh-runtime.js";
import type { Implementations, RouteContext } from "../app.js";
import { LocalError } from "../errors.js";
import { ask, sharedLink } from "./tasks.js";

const NOT_A_RECIPIENT_HINT =
  "ask the peer who shared it to share it with you (`claudemesh file share <path> --to <your name>`)";

/** The member's keys, and the mesh data key that opens a file for every member. */
function identity(mesh: MeshRuntime): FileIdentity & FileReader {
  return {
    meshId: mesh.meshId,
    publicKey: mesh.config.pubkey,
    secretKey: mesh.config.secret_key,
    meshDataKey: meshDataKey(mesh.rootKey),
  };
}

/** A failure of the HTTP side of a transfer as an API error. */
function transferFailure(error: unknown, slug: string): unknown {
  if (error instanceof BrokerUnreachableError) {
    return new LocalError(
      "broker_unreachable",
      `the broker of mesh "${slug}" is not reachable right now (${error.message})`,
      "check that the broker runs (`claudemesh doctor`)",
    );
  }
  if (error instanceof BrokerHttpError) {
    const hint = error.code === "forbidden" ? NOT_A_RECIPIENT_HINT : undefined;
    return new LocalError(error.code, error.message, hint);
  }
  if (error instanceof MeshClientError) return new LocalError(error.code, error.message);
  return error;
}

/** Runs `work` against each broker URL of the mesh until one answers (a cluster's nodes serve every file). */
async function onBroker<T>(mesh: MeshRuntime, work: (brokerUrl: string) => Promise<T>): Promise<T> {
  let last: unknown = null;
  for (const url of meshBrokerUrls(mesh.config)) {
    try {
      return await work(url);
    } catch (error) {
      if (!(error instanceof BrokerUnreachableError)) throw transferFailure(error, mesh.slug);
      last = error;
    }
  }
  throw transferFailure(last, mesh.slug);
}

/** The member keys `to` names (display name, pubkey, or a pubkey prefix of at least 8 hex characters). */
function recipientKeys(members: readonly MemberEntry[], to: readonly string[]): string[] {
  return to.map((wanted) => {
    const w = wanted.replace(/^@/, "");
    const found = members.filter(
      (m) =>
        m.displayName === w ||
        m.pubkey === w ||
        (w.length >= 8 && /^[0-9a-f]+$/.test(w) && m.pubkey.startsWith(w)),
    );
    if (found.length === 1) return found[0]!.pubkey;
    if (found.length === 0)
      throw new LocalError("unknown_target", `no member "${wanted}" in this mesh`, "see `claudemesh peers`");
    throw new LocalError(
      "ambiguous_target",
      `"${wanted}" names ${found.length} members`,
      "give a longer key prefix",
    );
  });
}

/** At most this many `file_progress` events a second per transfer (the last one always goes out). */
const PROGRESS_PER_SECOND = 10;

/**
 * The `onProgress` of a transfer whose request named `transferId`: `file_progress` events for the caller
 * (its session, or member-level on its mesh), throttled, the last (`done === total`) always sent.
 */
function progressEvents(
  ctx: RouteContext,
  mesh: MeshRuntime,
  transferId: string | undefined,
  direction: FileProgressEvent["direction"],
): ((done: number, total: number) => void) | undefined {
  if (transferId === undefined) return undefined;
  const scope = { meshId: mesh.meshId, sessionPubkey: ctx.caller.session?.pubkey ?? null };
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 1_000 / PROGRESS_PER_SECOND) return;
    last = now;
    const event: FileProgressEvent = { mesh: mesh.slug, transferId, direction, done, total };
    ctx.daemon.events.publish("file_progress", event, scope);
  };
}

function meshOf(ctx: RouteContext, wanted: string | undefined): MeshRuntime {
  const mesh = ctx.daemon.meshFor(wanted, ctx.caller.session);
  mesh.assertUsable();
  return mesh;
}

export const fileRoutes = {
  shareFile: async (ctx, input) => {
    const mesh = meshOf(ctx, input.mesh);
    const { link, slug } = sharedLink(ctx, input.mesh);
    const bytes = await readLocalFile(input.path);
    const named = input.to !== undefined && input.to.length > 0;
    const members = named ? await ask(slug, () => link.listMembers()) : [];
    const { recipients, targetSpec, everyone } = fileRecipients(
      named ? recipientKeys(members, input.to ?? []) : null,
    );
    const name = input.name ?? basename(input.path);
    const onProgress = progressEvents(ctx, mesh, input.transfer_id, "up");
    const up = await onBroker(mesh, (url) =>
      uploadFile(url, identity(mesh), {
        bytes,
        name,
        recipients,
        ...(targetSpec === undefined ? {} : { targetSpec }),
        ...(everyone ? { meshDataKey: meshDataKey(mesh.rootKey) } : {}),
        persistent: input.persistent ?? false,
        ...(onProgress ? { onProgress } : {}),
      }),
    );
    return { id: up.fileId, name, size: up.size, sha256: up.sha256 };
  },

  listFiles: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    const list = await ask(slug, () => link.listFiles(input.query ? { query: input.query } : {}));
    return { files: list.files.map(fileView) };
  },

  getFile: async (ctx, input) => {
    const mesh = meshOf(ctx, input.mesh);
    const { link, slug } = sharedLink(ctx, input.mesh);
    const reply = await ask(slug, () => link.getFile(input.id)).catch((error: unknown) => {
      if (error instanceof LocalError && error.code === "forbidden")
        throw new LocalError("forbidden", `${error.message} (file ${input.id})`, NOT_A_RECIPIENT_HINT);
      throw error;
    });
    const replace = input.overwrite ?? false;
    const path = await downloadTarget(input.path, reply.name, replace);
    const onProgress = progressEvents(ctx, mesh, input.transfer_id, "down");
    const got = await onBroker(mesh, (url) => downloadFile(url, reply, identity(mesh), onProgress));
    await writeLocalFile(path, got.bytes, replace);
    return { id: input.id, name: reply.name, size: got.bytes.length, sha256: got.sha256, path };
  },

  deleteFile: async (ctx, input) => {
    const { link, slug } = sharedLink(ctx, input.mesh);
    await ask(slug, () => link.deleteFile(input.id));
    return { id: input.id, deleted: true };
  },
} satisfies Partial<Implementations>;
