/** Files: `file share|get|list|delete` (implementations in handlers/files.ts). */
import { defineVerb } from "../command.js";
import { FILE_GET_FLAGS, FILE_SHARE_FLAGS } from "../flags/files.js";

const share = defineVerb({
  path: ["file", "share"],
  section: "Shared mesh features",
  summary: "Share a file (at most 50 MiB), encrypted with a fresh key sealed to each recipient",
  description:
    "The file is encrypted on this machine; the broker stores only the encrypted bytes and the key sealed " +
    "to each recipient's member key (and yours). Without --to every member of the mesh may open it. " +
    "Files are deleted after 7 days unless --persistent. On a terminal a progress bar on stderr shows the " +
    "upload (not with --json).",
  args: [{ name: "path", description: "the file to share" }],
  flags: FILE_SHARE_FLAGS,
  mesh: true,
  coldPath: true,
  examples: [
    "claudemesh file share ./build.log",
    "claudemesh file share ./design.pdf --to bob --to carol --persistent",
    "claudemesh file share ./dump.sql --name staging.sql --json",
  ],
  handler: async (ctx) => (await import("../handlers/files.js")).fileShare(ctx),
});

const get = defineVerb({
  path: ["file", "get"],
  section: "Shared mesh features",
  summary: "Download a shared file, decrypt it and check it",
  description:
    "A file not shared with you is refused with code forbidden (exit 3); nothing is written then. On a " +
    "terminal a progress bar on stderr shows the download (not with --json).",
  args: [{ name: "id", description: "the file id `file list` shows" }],
  flags: FILE_GET_FLAGS,
  mesh: true,
  coldPath: true,
  examples: ["claudemesh file get Xb7…", "claudemesh file get Xb7… -o /tmp/design.pdf --json"],
  handler: async (ctx) => (await import("../handlers/files.js")).fileGet(ctx),
});

const list = defineVerb({
  path: ["file", "list"],
  section: "Shared mesh features",
  summary: "Files you can open, newest first (at most 100)",
  mesh: true,
  coldPath: true,
  examples: ["claudemesh file list", "claudemesh file list --json"],
  handler: async (ctx) => (await import("../handlers/files.js")).fileList(ctx),
});

const remove = defineVerb({
  path: ["file", "delete"],
  section: "Shared mesh features",
  summary: "Delete a shared file (its uploader or an admin)",
  args: [{ name: "id", description: "the file id" }],
  mesh: true,
  coldPath: true,
  examples: ["claudemesh file delete Xb7…"],
  handler: async (ctx) => (await import("../handlers/files.js")).fileDelete(ctx),
});

export const FILE_VERBS = [share, get, list, remove];
