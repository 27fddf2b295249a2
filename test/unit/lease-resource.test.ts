/** Lease resources (protocol.md §6.9a): origin URLs, paths, branches and globs, and the overlap rule. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ResourceError,
  leaseResource,
  normalizeOriginUrl,
  repoInfo,
  repoPath,
} from "../../src/host/lease-resource.js";
import { leasesOverlap } from "../../src/protocol/index.js";

describe("normalizeOriginUrl", () => {
  it.each([
    ["git@github.com:acme/api.git", "github.com/acme/api"],
    ["https://github.com/acme/api.git", "github.com/acme/api"],
    ["https://github.com/acme/api", "github.com/acme/api"],
    ["https://user:token@GitHub.com/acme/api.git/", "github.com/acme/api"],
    ["ssh://git@github.com:22/acme/api.git", "github.com/acme/api"],
    ["git://gitlab.example.org/group/sub/api.git", "gitlab.example.org/group/sub/api"],
    ["gitlab.example.org:group/api", "gitlab.example.org/group/api"],
  ])("%s → %s", (url, expected) => {
    expect(normalizeOriginUrl(url)).toBe(expected);
  });
});

describe("leasesOverlap", () => {
  it.each([
    ["r:src/", "r:src/db/a.ts", true],
    ["r:src", "r:src/db/a.ts", true],
    ["r:src/db/a.ts", "r:src/db/a.ts", true],
    ["r:src", "r:srcs/a.ts", false],
    ["r:src/a.ts", "r:src/b.ts", false],
    ["branch:r:main", "branch:r:main-2", false],
    ["q:src/", "r:src/", false],
    // The repository's root holds every path in it, not its branches or another repository's paths.
    ["r:", "r:src/db/a.ts", true],
    ["r:", "r:README.md", true],
    ["r:", "branch:r:main", false],
    ["r:", "r2:src/", false],
  ])("%s and %s: %s", (a, b, expected) => {
    expect(leasesOverlap(a, b)).toBe(expected);
    expect(leasesOverlap(b, a)).toBe(expected);
  });
});

describe("leaseResource", () => {
  const root = mkdtempSync(join(tmpdir(), "cm-lease-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function repo(name: string, origin?: string): string {
    const dir = join(root, name);
    mkdirSync(join(dir, "src", "db"), { recursive: true });
    writeFileSync(join(dir, "src", "db", "a.ts"), "");
    execFileSync("git", ["init", "-q", dir]);
    if (origin) execFileSync("git", ["-C", dir, "remote", "add", "origin", origin]);
    return dir;
  }

  it("names the repository by its origin, the same from any clone and any directory inside it", () => {
    const one = repo("clone-one", "git@github.com:acme/api.git");
    const two = repo("clone-two", "https://github.com/acme/api.git");
    const a = leaseResource("src/db/a.ts", one, repoInfo(one));
    const b = leaseResource("db/a.ts", join(two, "src"), repoInfo(join(two, "src")));
    expect(a).toBe("github.com/acme/api:src/db/a.ts");
    expect(b).toBe(a);
    expect(leaseResource("src/db", one, repoInfo(one))).toBe("github.com/acme/api:src/db/");
    expect(leaseResource("src/db/*.ts", one, repoInfo(one))).toBe("github.com/acme/api:src/db/");
    expect(leaseResource("src/new-file.ts", one, repoInfo(one))).toBe("github.com/acme/api:src/new-file.ts");
    expect(leaseResource("branch:main", one, repoInfo(one))).toBe("branch:github.com/acme/api:main");
    expect(leaseResource("github.com/acme/api:lib/x.ts", one, repoInfo(one))).toBe(
      "github.com/acme/api:lib/x.ts",
    );
  });

  it("without an origin, the repository directory's name", () => {
    const dir = repo("plain");
    expect(leaseResource("db/a.ts", join(dir, "src"), repoInfo(join(dir, "src")))).toBe("plain:src/db/a.ts");
  });

  it("refuses a path outside the repository and an empty branch", () => {
    const dir = repo("bounded", "git@github.com:acme/b.git");
    const info = repoInfo(dir);
    expect(() => repoPath("../elsewhere.ts", dir, info)).toThrow(ResourceError);
    expect(() => leaseResource("branch:", dir, info)).toThrow(ResourceError);
  });
});
