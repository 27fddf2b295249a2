/** Writing files that may hold secrets: 0600, atomically (temp file + rename), directories 0700. */
import { chmodSync, mkdirSync, renameSync, writeFileSync, existsSync, statSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { randomBytes } from "node:crypto";

/** Creates `dir` (and parents) with mode 0700 when missing. */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Writes `data` to `path` with mode 0600 via a temp file in the same directory and a rename. */
export function writeSecretFile(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  ensurePrivateDir(dir);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The permission bits of a file (e.g. 0o600), or null when it does not exist. */
export function fileMode(path: string): number | null {
  return existsSync(path) ? statSync(path).mode & 0o777 : null;
}

/** Why a path is not private to this user, and the command that fixes it. */
export interface PrivacyProblem {
  message: string;
  fix: string;
}

/**
 * Whether `path` is private to this user: owned by them and, for a directory (`want` 0o700), not writable
 * by group or others (nobody else can replace what is in it); for a file or socket (`want` 0o600), no
 * access for group or others at all. Null when it is private, missing, or the platform has no uids.
 *
 * This is what protects the daemon's socket: Node cannot tell the uid of the process at the other end of
 * a unix socket connection (there is no SO_PEERCRED in Node core), so only the owner and mode of the
 * socket and its directory keep other users out.
 */
export function privacyProblem(path: string, want: 0o700 | 0o600): PrivacyProblem | null {
  const uid = process.getuid?.();
  if (uid === undefined || !existsSync(path)) return null;
  const stat = statSync(path);
  const mode = stat.mode & 0o777;
  if (stat.uid !== uid) {
    return {
      message: `${path} belongs to another user (uid ${stat.uid}, you are ${uid})`,
      fix: stat.isDirectory()
        ? `use a directory of your own (CLAUDEMESH_CONFIG_DIR / CLAUDEMESH_DAEMON_DIR), or \`chown ${uid} ${path}\``
        : `remove it (\`rm ${path}\`) and start the daemon again`,
    };
  }
  const loose = want === 0o700 ? mode & 0o022 : mode & 0o077;
  if (loose === 0) return null;
  return {
    message:
      want === 0o700
        ? `${path} is mode ${mode.toString(8)}: other users can replace the files in it`
        : `${path} is mode ${mode.toString(8)}: other users can use it`,
    fix: `chmod ${want.toString(8)} ${path}`,
  };
}
