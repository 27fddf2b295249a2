/** Files: `file share|get|list|delete` through the daemon (or its one-shot form with --no-daemon). */
import { basename, resolve } from "node:path";
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import type { FILE_GET_FLAGS, FILE_SHARE_FLAGS } from "../flags/files.js";
import { daemon, meshParam } from "../services.js";

/** A file moves whole through the daemon: allow a 50 MiB transfer on a slow link. */
const TRANSFER_TIMEOUT_MS = 10 * 60_000;

function fileId(ctx: Context): string {
  const id = (ctx.args.id ?? "").trim();
  if (id === "") throw usageError("no file id given", "pass the id `claudemesh file list` shows");
  return id;
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} B` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export async function fileShare(ctx: Context<typeof FILE_SHARE_FLAGS>): Promise<void> {
  const given = (ctx.args.path ?? "").trim();
  if (given === "") throw usageError("no file given", "e.g. claudemesh file share ./notes.md --to bob");
  const path = resolve(given);
  const client = await daemon(ctx);
  if (!ctx.json && ctx.out.isTTY) ctx.out.note(`encrypting and uploading ${basename(path)}…`);
  const view = await client.call(
    "shareFile",
    {
      path,
      to: ctx.flags.to,
      name: ctx.flags.name,
      persistent: ctx.flags.persistent,
      mesh: meshParam(ctx),
    },
    { timeoutMs: TRANSFER_TIMEOUT_MS },
  );
  ctx.out.result({ ...view }, () => ctx.out.line(`shared ${view.name} (${mib(view.size)}) as ${view.id}`));
}

export async function fileGet(ctx: Context<typeof FILE_GET_FLAGS>): Promise<void> {
  const id = fileId(ctx);
  const client = await daemon(ctx);
  const mesh = meshParam(ctx);
  // The default name comes from the broker's list; a file not listed still downloads under its id.
  let path = ctx.flags.output === undefined ? undefined : resolve(ctx.flags.output);
  if (path === undefined) {
    const { files } = await client.call("listFiles", { mesh });
    path = resolve(basename(files.find((f) => f.id === id)?.name ?? id));
  }
  if (!ctx.json && ctx.out.isTTY) ctx.out.note(`downloading ${id}…`);
  const view = await client.call("getFile", { id, path, mesh }, { timeoutMs: TRANSFER_TIMEOUT_MS });
  ctx.out.result({ ...view }, () =>
    ctx.out.line(
      `saved ${view.name} (${mib(view.size)}, sha256 ${view.sha256.slice(0, 16)}…) to ${view.path}`,
    ),
  );
}

export async function fileList(ctx: Context): Promise<void> {
  const { files } = await (await daemon(ctx)).call("listFiles", { mesh: meshParam(ctx) });
  ctx.out.result({ files }, () => {
    ctx.out.table(
      [
        { header: "ID" },
        { header: "NAME" },
        { header: "SIZE" },
        { header: "BY" },
        { header: "UPLOADED" },
        { header: "KEPT" },
      ],
      files.map((f) => [
        f.id,
        f.name,
        mib(f.size),
        f.uploaded_by,
        f.uploaded_at,
        f.persistent ? "yes" : "7 days",
      ]),
      "no files",
    );
  });
}

export async function fileDelete(ctx: Context): Promise<void> {
  const view = await (await daemon(ctx)).call("deleteFile", { id: fileId(ctx), mesh: meshParam(ctx) });
  ctx.out.result({ ...view }, () => ctx.out.line(`deleted file ${view.id}`));
}
