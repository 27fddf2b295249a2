#!/usr/bin/env node
/**
 * Builds the web app (`web/`) into `dist/web`: one minified ES module bundle (Preact, libsodium and the
 * shared protocol and crypto modules of `src/`), its stylesheet and `index.html`. The broker serves these
 * files itself (src/broker/http/web.ts). The project root is this script's parent directory, or the first
 * argument.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
const web = join(root, "web");
const out = join(root, "dist", "web");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });
/** zod's own import of all its locales, answered with English alone (web/shims/zod-locales.ts). */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${join("node_modules", "zod")}`)
        ? { path: join(web, "shims", "zod-locales.ts") }
        : undefined,
    );
  },
};

const result = await build({
  entryPoints: [join(web, "src", "main.tsx")],
  outdir: join(out, "assets"),
  entryNames: "app",
  chunkNames: "chunk-[hash]",
  splitting: true,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  jsx: "automatic",
  jsxImportSource: "preact",
  // The shared client core of src/ uses Node's Buffer and node:crypto for encodings, SHA-256 and
  // randomness, the `ws` package for its socket, and names a few Node modules it never reaches here.
  alias: {
    "node:crypto": join(web, "shims", "crypto.ts"),
    ws: join(web, "shims", "ws.ts"),
    "node:http": join(web, "shims", "node-builtins.ts"),
    "node:https": join(web, "shims", "node-builtins.ts"),
    "node:os": join(web, "shims", "node-builtins.ts"),
  },
  plugins: [zodEnglishOnly],
  inject: [join(web, "shims", "buffer.ts")],
  logLevel: "warning",
  metafile: true,
});
if (process.env.WEB_METAFILE)
  (await import("node:fs")).writeFileSync(process.env.WEB_METAFILE, JSON.stringify(result.metafile));
copyFileSync(join(web, "index.html"), join(out, "index.html"));
copyFileSync(join(web, "src", "app.css"), join(out, "assets", "app.css"));
copyFileSync(join(web, "favicon.svg"), join(out, "assets", "favicon.svg"));

// Each asset also precompressed at the best levels, so the broker serves `.br` or `.gz` as asked without
// compressing on every request.
for (const name of readdirSync(join(out, "assets"))) {
  const file = join(out, "assets", name);
  const bytes = readFileSync(file);
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
}
