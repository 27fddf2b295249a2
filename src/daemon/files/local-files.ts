/**
 * The local side of a file transfer: reading the file a share names, choosing where a download goes, and
 * writing it there. A download never replaces a file unless asked to, and never takes a name from the
 * sharer that could land outside the directory it is saved in or hide in it as a dotfile.
 */
import { randomBytes } from "node:crypto";
import { link, lstat, open, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FILE_MAX_BYTES } from "../../protocol/index.js";
import { LocalError } from "../ipc/errors.js";

const EXISTS_HINT = "choose another path with `-o <path>`, or replace it with `--force`";

/** Error codes of a file system without hard links, where a download falls back to check-then-rename. */
const NO_HARD_LINKS: ReadonlySet<string> = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "EMLINK"]);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** The bytes of the file at `path`, refused when it is not a regular file or holds more than 50 MiB. */
export async function readLocalFile(path: string): Promise<Buffer> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new LocalError("invalid_argument", `${path} is not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof LocalError) throw error;
    throw new LocalError("not_found", `cannot read ${path}: ${(error as Error).message}`);
  }
  if (size > FILE_MAX_BYTES) {
    throw new LocalError("too_large", `${path} is ${size} bytes; a shared file holds at most 50 MiB`);
  }
  const handle = await open(path, "r");
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Why the name a sharer gave cannot be used as a file name in a directory, or null when it can: it must
 * be one plain, visible name (no separator, no control character, not `.` or `..`, no leading dot), so it
 * stays in that directory and cannot quietly become a dotfile such as `.bashrc` or `.envrc`.
 */
export function unusableFileName(name: string): string | null {
  if (name === "") return "it is empty";
  if (/[/\\]/.test(name)) return "it holds a path separator";
  if ([...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return "it holds a control character";
  if (name.startsWith(".")) return "it starts with a dot (a hidden file, or a directory above)";
  return null;
}

/** What `lstat` says of `path`, or null when nothing is there. */
async function present(path: string): Promise<Awaited<ReturnType<typeof lstat>> | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return null;
    throw new LocalError("write_failed", `cannot write ${path}: ${(error as Error).message}`);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    // Nothing there (or nothing readable): it names the file to write, and writing it reports any failure.
    return false;
  }
}

function exists(path: string): LocalError {
  return new LocalError("file_exists", `${path} already exists; nothing was written`, EXISTS_HINT);
}

/**
 * Where a download goes: `path` itself, or, when `path` is a directory, the shared `name` inside it.
 * Refuses a shared name that is not a plain file name, a destination that is a directory or has none to
 * go in, and one that exists unless `replace`. Checked before any byte is downloaded; the write checks
 * again.
 */
export async function downloadTarget(path: string, name: string, replace: boolean): Promise<string> {
  let target = path;
  if (await isDirectory(path)) {
    const why = unusableFileName(name);
    if (why !== null) {
      throw new LocalError(
        "unsafe_file_name",
        `the file's shared name ${JSON.stringify(name)} is not used as a file name here: ${why}`,
        "choose where to save it with `-o <path>`",
      );
    }
    target = join(path, name);
  } else if (!(await isDirectory(dirname(path)))) {
    throw new LocalError("write_failed", `cannot write ${path}: ${dirname(path)} is not a directory`);
  }
  const found = await present(target);
  if (found?.isDirectory())
    throw new LocalError("file_exists", `${target} is a directory; nothing was written`, EXISTS_HINT);
  if (found && !replace) throw exists(target);
  return target;
}

/** Gives `temp` the name `path`, unless something already has it. */
async function renameNoReplace(temp: string, path: string): Promise<void> {
  try {
    // A hard link is created only if the name is free: no window in which another file could be replaced.
    await link(temp, path);
  } catch (error) {
    if (codeOf(error) === "EEXIST") throw exists(path);
    if (!NO_HARD_LINKS.has(codeOf(error))) throw error;
    if (await present(path)) throw exists(path);
    await rename(temp, path);
  }
}

/**
 * Writes `bytes` to `path` (0600) through a temporary file beside it, so a failure leaves no half file and
 * no temporary file. An existing `path` is refused unless `replace`.
 */
export async function writeLocalFile(path: string, bytes: Uint8Array, replace: boolean): Promise<void> {
  const temp = join(dirname(path), `.claudemesh-${randomBytes(6).toString("hex")}.part`);
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(bytes);
    } finally {
      await handle.close();
    }
    if (replace) await rename(temp, path);
    else await renameNoReplace(temp, path);
  } catch (error) {
    if (error instanceof LocalError) throw error;
    throw new LocalError("write_failed", `cannot write ${path}: ${(error as Error).message}`);
  } finally {
    // Gone after a rename; after a hard link, the second name of the file now at `path`.
    await rm(temp, { force: true });
  }
}
