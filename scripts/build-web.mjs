#!/usr/bin/env node
/**
 * Builds the web app (`web/`) into `dist/web`: one minified ES module bundle (Preact, libsodium and the
 * shared protocol and crypto modules of `src/`), its stylesheet and `index.html`. The broker serves these
 * files itself (src/broker/http/web.ts). The project root is this script's parent directory, or the first
 * argument.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "web");
const out = join(root, "dist", "web");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });
await build({
  entryPoints: [join(web, "src", "main.tsx")],
  outfile: join(out, "assets", "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  jsx: "automatic",
  jsxImportSource: "preact",
  // The shared modules of src/ use Node's Buffer and node:crypto for encodings, SHA-256 and randomness.
  alias: { "node:crypto": join(web, "shims", "crypto.ts") },
  inject: [join(web, "shims", "buffer.ts")],
  logLevel: "warning",
});
copyFileSync(join(web, "index.html"), join(out, "index.html"));
copyFileSync(join(web, "src", "app.css"), join(out, "assets", "app.css"));
