/**
 * The broker's data dir, private by construction: created 0700 (its parent must exist), and an existing
 * directory that others may write to is refused, since they could replace the database or the admin token.
 * One that others may only read is used, with a warning saying how to fix it: it is the user's directory,
 * so nothing is tightened behind their back. Every failure names the path and the cause.
 */
import { accessSync, chmodSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** A data dir the broker cannot or must not use; `code` and `hint` reach the user as they are. */
export class DataDirError extends Error {
  override readonly name = "DataDirError";
  constructor(
    readonly code: "data_dir_unusable" | "data_dir_unsafe",
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

function errnoCode(err: unknown): string {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
}

/** What an errno means for a path, in words. */
export function describeCause(code: string): string {
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOENT":
      return "no such file or directory";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EISDIR":
      return "it is a directory";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return code === "" ? "unknown error" : code;
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

function create(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = errnoCode(err);
    const parent = dirname(dir);
    if (code === "ENOENT") {
      throw new DataDirError(
        "data_dir_unusable",
        `cannot create data dir ${dir}: its parent ${parent} does not exist`,
        `create the parent first (mkdir -p ${parent}), or point --data elsewhere`,
      );
    }
    if (code === "ENOTDIR") {
      throw new DataDirError(
        "data_dir_unusable",
        `cannot create data dir ${dir}: a part of ${parent} is a file, not a directory`,
        "point --data at a directory",
      );
    }
    throw new DataDirError(
      "data_dir_unusable",
      `cannot create data dir ${dir}: ${describeCause(code)}`,
      code === "EROFS"
        ? "point --data at a directory on a writable file system"
        : `check the permissions of ${parent}, or point --data at a writable directory`,
    );
  }
  // The umask may have taken bits away, never added any; set exactly 0700.
  chmodSync(dir, 0o700);
}

/**
 * Creates or checks the data dir. Returns the absolute path and warnings to show the user; throws
 * {@link DataDirError} when the broker must not start.
 */
export function prepareDataDir(path: string): { dir: string; warnings: string[] } {
  const dir = resolve(path);
  let stat;
  try {
    stat = statSync(dir);
  } catch (err) {
    const code = errnoCode(err);
    if (code === "ENOENT") {
      create(dir);
      return { dir, warnings: [] };
    }
    if (code === "ENOTDIR") {
      throw new DataDirError(
        "data_dir_unusable",
        `data dir ${dir}: a part of the path is a file, not a directory`,
        "point --data at a directory",
      );
    }
    throw new DataDirError(
      "data_dir_unusable",
      `data dir ${dir}: ${describeCause(code)}`,
      "check the permissions of the path, or point --data elsewhere",
    );
  }
  if (!stat.isDirectory()) {
    throw new DataDirError(
      "data_dir_unusable",
      `data dir ${dir} is not a directory`,
      "point --data at a directory (the broker creates it when missing)",
    );
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new DataDirError(
      "data_dir_unsafe",
      `refusing data dir ${dir}: it is writable by ${stat.mode & 0o002 ? "everyone" : "its group"} (mode ${octal(stat.mode)}), so others could replace the database or the admin token`,
      `make it private (chmod 700 ${dir}), or point --data at a new directory (the broker creates it 0700)`,
    );
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = errnoCode(err);
    throw new DataDirError(
      "data_dir_unusable",
      `data dir ${dir} is not writable: ${describeCause(code)}`,
      code === "EROFS"
        ? "point --data at a directory on a writable file system"
        : `give this user write access (chown it, or chmod u+rwx ${dir}), or point --data elsewhere`,
    );
  }
  const warnings =
    (stat.mode & 0o044) !== 0
      ? [
          `data dir ${dir} is readable by ${stat.mode & 0o004 ? "everyone" : "its group"} (mode ${octal(stat.mode)}); ` +
            `the broker's files in it are 0600, but run chmod 700 ${dir} to keep it private`,
        ]
      : [];
  return { dir, warnings };
}
