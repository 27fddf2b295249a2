/**
 * Session key pairs, one per (mesh, Claude Code session id), kept as 0600 files under
 * `<daemon dir>/session-keys/` so a resumed session keeps its identity (protocol.md §2.1). The daemon also
 * uses them to open DMs addressed to a session key after that session ended (§4.6 re-targeting).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { generateIdentity, sha256Hex, type Identity } from "../../crypto/index.js";
import { ensurePrivateDir, writeSecretFile } from "../../host/secure-fs.js";

const KeyFile = z.object({
  mesh_id: z.string(),
  session_id: z.string(),
  public_key: z.string().regex(/^[0-9a-f]{64}$/),
  secret_key: z.string().regex(/^[0-9a-f]{128}$/),
  created_at: z.string(),
});
type KeyFile = z.infer<typeof KeyFile>;

export class SessionKeyStore {
  readonly #dir: string;
  /** mesh id → (public key → secret key). */
  readonly #byMesh = new Map<string, Map<string, string>>();
  readonly #onBadFile: (file: string, problem: string) => void;
  /** public key → Claude Code session id. */
  readonly #sessionIds = new Map<string, string>();

  constructor(dir: string, onBadFile: (file: string, problem: string) => void) {
    this.#dir = dir;
    this.#onBadFile = onBadFile;
    ensurePrivateDir(dir);
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".json")) continue;
      const key = this.#read(join(dir, name));
      if (key !== null) this.#remember(key);
    }
  }

  /** The key pair of this session in this mesh, made (and written 0600) on first use. */
  loadOrCreate(meshId: string, sessionId: string): Identity {
    const path = this.#pathFor(meshId, sessionId);
    const existing = this.#read(path);
    if (existing !== null && existing.mesh_id === meshId && existing.session_id === sessionId) {
      return { publicKey: existing.public_key, secretKey: existing.secret_key };
    }
    const identity = generateIdentity();
    const file: KeyFile = {
      mesh_id: meshId,
      session_id: sessionId,
      public_key: identity.publicKey,
      secret_key: identity.secretKey,
      created_at: new Date().toISOString(),
    };
    writeSecretFile(path, `${JSON.stringify(file)}\n`);
    this.#remember(file);
    return identity;
  }

  /** Every session secret this daemon holds for the mesh, by public key. */
  secretsFor(meshId: string): ReadonlyMap<string, string> {
    return this.#byMesh.get(meshId) ?? new Map();
  }

  /** The Claude Code session id a session key belongs to, or null when this daemon never made it. */
  sessionIdOf(pubkey: string): string | null {
    return this.#sessionIds.get(pubkey) ?? null;
  }

  #pathFor(meshId: string, sessionId: string): string {
    // Hashed so that any session id (it comes from the caller) makes a safe file name.
    return join(this.#dir, `${sha256Hex(`${meshId}|${sessionId}`).slice(0, 40)}.json`);
  }

  #read(path: string): KeyFile | null {
    let raw: string;
    try {
      raw = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.#onBadFile(path, (error as Error).message);
      return null;
    }
    try {
      const parsed = KeyFile.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
      this.#onBadFile(path, "not a session key file");
    } catch {
      this.#onBadFile(path, "not JSON");
    }
    return null;
  }

  #remember(key: KeyFile): void {
    let map = this.#byMesh.get(key.mesh_id);
    if (map === undefined) {
      map = new Map();
      this.#byMesh.set(key.mesh_id, map);
    }
    map.set(key.public_key, key.secret_key);
    this.#sessionIds.set(key.public_key, key.session_id);
  }
}
