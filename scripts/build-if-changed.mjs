#!/usr/bin/env node
/**
 * `npm start`'s build step: runs `tsc -p tsconfig.build.json` and the web app's build only when a source
 * (the web app's included), the TypeScript config, a build script or package.json is newer than the last
 * build this script made (its stamp in dist/). Prints one line either
 * way; exits with tsc's status when it builds. The project root is this script's parent directory, or the
 * first argument.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
const stamp = join(root, "dist", ".build-stamp");

/** The newest modification time (ms) of a file, or of anything under a directory. */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its directory's mtime
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const inputs = [
  "src",
  "bench",
  "web",
  join("scripts", "build-web.mjs"),
  "package.json",
  ...readdirSync(root).filter((name) => /^tsconfig.*\.json$/.test(name)),
].map((name) => join(root, name));
const newestInput = Math.max(...inputs.map(newestMtime));
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : -1;

if (built >= newestInput) {
  console.log("claudemesh is up to date (no source changed since the last build)");
} else {
  console.log("building claudemesh…");
  const startedAt = new Date();
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
    cwd: root,
    stdio: "inherit",
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  const webBuild = join(root, "scripts", "build-web.mjs");
  if (existsSync(webBuild)) {
    const web = spawnSync(process.execPath, [webBuild, root], { cwd: root, stdio: "inherit" });
    if (web.status !== 0) process.exit(web.status ?? 1);
  }
  // Stamped with the time the build started: a file saved during the build triggers the next one.
  writeFileSync(stamp, "");
  utimesSync(stamp, startedAt, startedAt);
}
