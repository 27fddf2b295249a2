/** Watches config.json (its directory, since writes replace the file by rename) and calls back, debounced. */
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";

const DEBOUNCE_MS = 200;

export interface ConfigWatch {
  close(): void;
}

export function watchConfigFile(file: string, onChange: () => void, log: Logger): ConfigWatch {
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        onChange();
      }, DEBOUNCE_MS);
      timer.unref();
    });
    watcher.unref();
    watcher.on("error", (error) => log.warn({ err: error.message }, "config watch failed"));
  } catch (error) {
    log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "cannot watch the config; use `reloadMeshes`",
    );
  }
  return {
    close() {
      if (timer !== null) clearTimeout(timer);
      watcher?.close();
    },
  };
}
