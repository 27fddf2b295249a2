/**
 * The user config `~/.claudemesh/config.json`: joined meshes with their member key pairs and root keys.
 * Validated on every read (a bad field is named in the error); written 0600, atomically.
 * Only the daemon and the CLI's own verbs read the secret fields; no API returns them.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { brokerUrlListProblem, brokerUrlProblem } from "../protocol/broker-urls.js";
import { configFile } from "./paths.js";
import { writeSecretFile } from "./secure-fs.js";

const hex = (chars: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${chars}}$`), `must be ${chars} lower-case hex`);

const brokerUrl = z.string().superRefine((url, ctx) => {
  const problem = brokerUrlProblem(url);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

export const MeshConfig = z
  .object({
    mesh_id: z.string().min(1),
    slug: z.string().min(1),
    name: z.string().min(1),
    /** `ws://host:port/ws` or `wss://…/ws`: the primary broker, always written. */
    broker_url: z.string().regex(/^wss?:\/\//, "must start with ws:// or wss://"),
    /**
     * Every node of the mesh's broker cluster, `broker_url` first; absent for a single broker (files
     * written before it existed stay valid). Clients try the next one when a connection drops.
     */
    broker_urls: z.array(brokerUrl).optional(),
    member_id: z.string().min(1),
    pubkey: hex(64),
    secret_key: hex(128),
    /** Mesh root key, base64url without padding (32 bytes). */
    root_key: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be 32 bytes of base64url"),
    display_name: z.string().min(1).max(64),
    role: z.enum(["owner", "admin", "member"]),
    owner_pubkey: hex(64).optional(),
    joined_at: z.string(),
    /**
     * Set on the mesh `claudemesh up` created on the broker it runs from this user's data dir: the one
     * mesh whose broker `up` starts. A joined mesh never has it, whatever its slug or broker address.
     */
    local_broker: z.literal(true).optional(),
  })
  .superRefine((mesh, ctx) => {
    if (mesh.broker_urls === undefined) return;
    const problem = brokerUrlListProblem(mesh.broker_urls);
    if (problem !== null) ctx.addIssue({ code: "custom", path: ["broker_urls"], message: problem });
    else if (mesh.broker_urls[0] !== mesh.broker_url) {
      ctx.addIssue({ code: "custom", path: ["broker_urls"], message: "must start with broker_url" });
    }
  });
export type MeshConfig = z.infer<typeof MeshConfig>;

/** Every broker URL of `mesh`, the primary first. */
export function meshBrokerUrls(mesh: Pick<MeshConfig, "broker_url" | "broker_urls">): string[] {
  return mesh.broker_urls ?? [mesh.broker_url];
}

/** `broker_url` and, for more than one broker, `broker_urls`: what a mesh entry stores for `urls`. */
export function brokerUrlFields(urls: readonly string[]): Pick<MeshConfig, "broker_url" | "broker_urls"> {
  const [primary] = urls;
  if (primary === undefined) throw new RangeError("a mesh needs at least one broker URL");
  return urls.length > 1 ? { broker_url: primary, broker_urls: [...urls] } : { broker_url: primary };
}

export const Config = z.object({
  version: z.literal(1),
  meshes: z.array(MeshConfig),
  default_mesh: z.string().optional(),
});
export type Config = z.infer<typeof Config>;

export class ConfigError extends Error {
  readonly code = "config_invalid";
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export function emptyConfig(): Config {
  return { version: 1, meshes: [] };
}

/** Reads and validates the config; a missing file is an empty config. */
export function loadConfig(path = configFile()): Config {
  if (!existsSync(path)) return emptyConfig();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON (${(err as Error).message})`, path);
  }
  const parsed = Config.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.join(".") : "?";
    throw new ConfigError(`${path}: field "${field}" ${issue?.message ?? "is invalid"}`, path);
  }
  return parsed.data;
}

export function saveConfig(config: Config, path = configFile()): void {
  writeSecretFile(path, `${JSON.stringify(Config.parse(config), null, 2)}\n`);
}

/** Read-modify-write under the same validation. */
export function updateConfig(change: (config: Config) => Config | void, path = configFile()): Config {
  const current = loadConfig(path);
  const next = change(current) ?? current;
  saveConfig(next, path);
  return next;
}

export class MeshSelectionError extends Error {
  constructor(
    readonly code: "no_mesh" | "unknown_mesh" | "mesh_required",
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** `slug` when no joined mesh has it, else the first free of `slug-2`, `slug-3`, … */
export function freeSlug(meshes: readonly Pick<MeshConfig, "slug">[], slug: string): string {
  const taken = new Set(meshes.map((m) => m.slug));
  let candidate = slug;
  for (let n = 2; taken.has(candidate); n += 1) candidate = `${slug}-${n}`;
  return candidate;
}

/**
 * Records a new membership: the one way a mesh enters the config. Slugs are how people name meshes
 * (`--mesh`, `leave`), so the entry gets a slug no other joined mesh has (see {@link freeSlug}).
 * Returns the entry as stored.
 */
export function addMesh(mesh: MeshConfig, path = configFile()): MeshConfig {
  let stored = mesh;
  updateConfig((config) => {
    if (config.meshes.some((m) => m.mesh_id === mesh.mesh_id)) {
      throw new Error(`mesh ${mesh.mesh_id} is already in ${path}`);
    }
    stored = { ...mesh, slug: freeSlug(config.meshes, mesh.slug) };
    config.meshes.push(stored);
  }, path);
  return stored;
}

type MeshName = Pick<MeshConfig, "slug" | "mesh_id">;

/** What names `mesh` among `meshes` for `--mesh` or `leave`: its slug, or its id when another has that slug. */
export function meshArg(meshes: readonly MeshName[], mesh: MeshName): string {
  return meshes.some((o) => o.slug === mesh.slug && o.mesh_id !== mesh.mesh_id) ? mesh.mesh_id : mesh.slug;
}

/** The `--mesh` choices among `meshes`, for a hint. */
export function meshChoices(meshes: readonly MeshName[]): string {
  return meshes.map((m) => (meshArg(meshes, m) === m.slug ? m.slug : `${m.mesh_id} (${m.slug})`)).join(", ");
}

/** The error for a `--mesh` that names no joined mesh, or several (slugs written before they were unique). */
export function meshNotFound(meshes: readonly MeshName[], wanted: string): MeshSelectionError {
  const found = meshes.filter((m) => m.slug === wanted || m.mesh_id === wanted);
  if (found.length > 1) {
    return new MeshSelectionError(
      "mesh_required",
      `"${wanted}" matches several meshes`,
      `pass the mesh id with --mesh (one of: ${found.map((m) => m.mesh_id).join(", ")})`,
    );
  }
  const known = meshes.length === 0 ? "none" : meshChoices(meshes);
  return new MeshSelectionError("unknown_mesh", `no joined mesh "${wanted}"`, `joined meshes: ${known}`);
}

/** The error when several meshes are joined and none was named. */
export function meshRequired(meshes: readonly MeshName[]): MeshSelectionError {
  return new MeshSelectionError(
    "mesh_required",
    "several meshes are joined",
    `pass --mesh <slug> (one of: ${meshChoices(meshes)})`,
  );
}

/** Fails with `no_mesh` (and the commands that fix it) when the user has joined no mesh. */
export function requireJoinedMesh(config: Config): void {
  if (config.meshes.length === 0) {
    throw new MeshSelectionError(
      "no_mesh",
      "join a mesh first: you have not joined any mesh",
      "run `claudemesh up` (a mesh on this machine) or `claudemesh join <link>`",
    );
  }
}

/** Picks a mesh by slug or id; optional when exactly one is joined (or a default is set). */
export function selectMesh(config: Config, wanted?: string): MeshConfig {
  requireJoinedMesh(config);
  if (wanted) {
    const found = config.meshes.filter((m) => m.slug === wanted || m.mesh_id === wanted);
    if (found.length === 1 && found[0]) return found[0];
    throw meshNotFound(config.meshes, wanted);
  }
  if (config.meshes.length === 1 && config.meshes[0]) return config.meshes[0];
  const byDefault = config.meshes.find((m) => m.mesh_id === config.default_mesh);
  if (byDefault) return byDefault;
  throw meshRequired(config.meshes);
}
