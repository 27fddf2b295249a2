/**
 * Lease resources (protocol.md §6.9a), made the same way on every machine: `<repo>:<path>` for files and
 * directories, where `<repo>` is the repository's normalized `origin` URL (`github.com/acme/api`) or, without
 * one, the repository directory's name, and `<path>` is relative to the repository root with `/`
 * separators (a directory ends with `/`); `branch:<repo>:<name>` for branches. A glob leases the directory
 * it starts in (`src/db/*.ts` → `<repo>:src/db/`).
 */
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { basename, isAbsolute, relative, resolve, sep } from "node:path";

/** Where a path is: its repository's identity and root. */
export interface RepoInfo {
  /** `github.com/acme/api`, or the repository directory's name. */
  id: string;
  /** Absolute path of the repository root (or of the directory used when there is no repository). */
  root: string;
}

/**
 * `git@github.com:acme/api.git`, `https://user@github.com/acme/api.git`, `ssh://git@github.com:22/acme/api`
 * → `github.com/acme/api`: no scheme, user, port or `.git`, the host in lower case.
 */
export function normalizeOriginUrl(url: string): string {
  let rest = url.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  else {
    // scp-like syntax: [user@]host:path
    const scp = /^([^/:]+):(?!\/)(.*)$/.exec(rest);
    if (scp) rest = `${scp[1] ?? ""}/${scp[2] ?? ""}`;
  }
  const at = rest.indexOf("@");
  const slash = rest.indexOf("/");
  if (at >= 0 && (slash < 0 || at < slash)) rest = rest.slice(at + 1);
  const firstSlash = rest.indexOf("/");
  let host = firstSlash < 0 ? rest : rest.slice(0, firstSlash);
  let path = firstSlash < 0 ? "" : rest.slice(firstSlash + 1);
  host = host.replace(/:\d*$/, "").toLowerCase();
  path = path
    .replace(/\/+$/, "")
    .replace(/\.git$/, "")
    .replace(/\/+$/, "");
  return path === "" ? host : `${host}/${path}`;
}

function git(cwd: string, args: string[]): string | null {
  try {
    const out = execFileSync("git", ["-C", cwd, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.trim() || null;
  } catch {
    return null; // not a repository, no such setting, or no git: the caller falls back
  }
}

/** The repository `cwd` is in; outside one, `cwd` itself stands for it. */
export function repoInfo(cwd: string): RepoInfo {
  const root = git(cwd, ["rev-parse", "--show-toplevel"]);
  if (root === null) return { id: basename(resolve(cwd)), root: resolve(cwd) };
  const origin = git(cwd, ["config", "--get", "remote.origin.url"]);
  return { id: origin === null ? basename(root) : normalizeOriginUrl(origin), root };
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Turns a command-line argument into a lease resource: a path (relative to `cwd`), `branch:<name>`, or a resource given whole. */
export function leaseResource(arg: string, cwd: string, repo: RepoInfo): string {
  if (arg.startsWith("branch:")) {
    const name = arg.slice("branch:".length);
    if (name === "") throw new ResourceError(`"${arg}" names no branch`, "write it like branch:main");
    return `branch:${repo.id}:${name}`;
  }
  if (arg.startsWith(`${repo.id}:`)) return arg;
  return `${repo.id}:${repoPath(arg, cwd, repo)}`;
}

/** The path part: relative to the repository root, `/`-separated, a directory ending with `/`. */
export function repoPath(arg: string, cwd: string, repo: RepoInfo): string {
  let text = arg;
  const globAt = text.search(GLOB_CHARS);
  if (globAt >= 0) {
    const cut = text.lastIndexOf("/", globAt);
    text = cut < 0 ? "." : text.slice(0, cut + 1);
  }
  const absolute = isAbsolute(text) ? resolve(text) : resolve(cwd, text);
  const rel = relative(repo.root, absolute);
  if (rel.startsWith("..") || isAbsolute(rel)) {
    throw new ResourceError(
      `${arg} is outside the repository ${repo.root}`,
      "run the command inside the repository whose files you lease",
    );
  }
  let path = rel.split(sep).join("/");
  const directory = text.endsWith("/") || text.endsWith(sep) || isDirectory(absolute) || globAt >= 0;
  if (directory && path !== "" && !path.endsWith("/")) path += "/";
  return path;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a file not created yet is leased as a file
  }
}

/** A path or branch that cannot become a resource. */
export class ResourceError extends Error {
  override readonly name = "ResourceError";
  readonly code = "invalid_resource";
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
