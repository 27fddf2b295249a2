/** Files: `file share|get|list|delete` through the daemon (or its one-shot form with --no-daemon). */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { DaemonClient } from "../../daemon-api/client.js";
import { daemonEvents } from "../../daemon-api/events.js";
import type { FileProgressEvent } from "../../daemon-api/files.js";
import type { Context } from "../command.js";
import { usageError } from "../errors.js";
import { formatBytes } from "../progress.js";
import type { FILE_GET_FLAGS, FILE_SHARE_FLAGS } from "../flags/files.js";
import { daemon, meshParam } from "../services.js";

/** A file moves whole through the daemon: allow a 50 MiB transfer on a slow link. */
const TRANSFER_TIMEOUT_MS = 10 * 60_000;

function fileId(ctx: Context): string {
  const id = (ctx.args.id ?? "").trim();
  if (id === "") throw usageError("no file id given", "pass the id `claudemesh file list` shows");
  return id;
}

/**
 * Runs a transfer with a byte progress bar on stderr when one shows (a terminal, not `--json`): it follows
 * the daemon's event stream for the `file_progress` events of a fresh transfer id, which `work` passes on.
 * Without a bar, `work` gets no id and `note` is printed on a terminal instead.
 */
async function withProgress<T>(
  ctx: Context,
  client: DaemonClient,
  label: string,
  note: string,
  work: (transferId: string | undefined) => Promise<T>,
): Promise<T> {
  const bar = ctx.out.progress(label);
  if (bar === null) {
    if (!ctx.json && ctx.out.isTTY) ctx.out.note(note);
    return work(undefined);
  }
  const transferId = randomBytes(12).toString("hex");
  const abort = new AbortController();
  await new Promise<void>((opened) => {
    void (async () => {
      try {
        for await (const event of daemonEvents(client, { signal: abort.signal, onOpen: opened })) {
          if (abort.signal.aborted) break;
          if (event.event !== "file_progress") continue;
          const data = event.data as Partial<FileProgressEvent> | null;
          if (
            data?.transferId === transferId &&
            typeof data.done === "number" &&
            typeof data.total === "number"
          )
            bar.update(data.done, data.total);
        }
      } catch {
        // No stream, no bar: the transfer itself reports any failure.
      }
      opened();
    })();
  });
  try {
    return await work(transferId);
  } finally {
    abort.abort();
    bar.stop();
  }
}

export async function fileShare(ctx: Context<typeof FILE_SHARE_FLAGS>): Promise<void> {
  const given = (ctx.args.path ?? "").trim();
  if (given === "") throw usageError("no file given", "e.g. claudemesh file share ./notes.md --to bob");
  const path = resolve(given);
  const client = await daemon(ctx);
  const name = basename(path);
  const view = await withProgress(
    ctx,
    client,
    `uploading ${ctx.flags.name ?? name}`,
    `encrypting and uploading ${name}…`,
    (transferId) =>
      client.call(
        "shareFile",
        {
          path,
          to: ctx.flags.to,
          name: ctx.flags.name,
          persistent: ctx.flags.persistent,
          mesh: meshParam(ctx),
          ...(transferId === undefined ? {} : { transfer_id: transferId }),
        },
        { timeoutMs: TRANSFER_TIMEOUT_MS },
      ),
  );
  ctx.out.result({ ...view }, () =>
    ctx.out.line(`shared ${view.name} (${formatBytes(view.size)}) as ${view.id}`),
  );
}

/** What the progress bar calls a download: the file `-o` names, else (a directory) the file id. */
function downloadLabel(output: string | undefined, path: string, id: string): string {
  if (output === undefined) return id;
  try {
    return statSync(path).isDirectory() ? id : basename(path);
  } catch {
    // Nothing there yet: `-o` names the file to write.
    return basename(path);
  }
}

export async function fileGet(ctx: Context<typeof FILE_GET_FLAGS>): Promise<void> {
  const id = fileId(ctx);
  const client = await daemon(ctx);
  const mesh = meshParam(ctx);
  // A directory (the current one by default) gets the file under its shared name, which the daemon checks.
  const path = resolve(ctx.flags.output ?? ".");
  const view = await withProgress(
    ctx,
    client,
    `downloading ${downloadLabel(ctx.flags.output, path, id)}`,
    `downloading ${id}…`,
    (transferId) =>
      client.call(
        "getFile",
        {
          id,
          path,
          overwrite: ctx.flags.force,
          mesh,
          ...(transferId === undefined ? {} : { transfer_id: transferId }),
        },
        { timeoutMs: TRANSFER_TIMEOUT_MS },
      ),
  );
  ctx.out.result({ ...view }, () =>
    ctx.out.line(
      `saved ${view.name} (${formatBytes(view.size)}, sha256 ${view.sha256.slice(0, 16)}…) to ${view.path}`,
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
        formatBytes(f.size),
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
