// Builds the web app into dist/web: one bundled script and one stylesheet, each
// named by a hash of its content (so the server can cache them forever), an
// index.html that loads them, and a gzip and a brotli copy of each for the
// server to send as is. Run by `npm run build`.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const target = join(root, "..", "dist", "web");
// Built beside the live copy, then swapped in: a server running meanwhile never sees half a build.
const out = `${target}.next`;
const assets = join(out, "assets");

const result = await build({
  entryPoints: [join(root, "src", "main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  write: false,
  outdir: assets,
  entryNames: "app",
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});

await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const named = {};
for (const file of result.outputFiles) {
  const base = file.path.slice(assets.length + 1);
  const dot = base.indexOf(".");
  const hash = createHash("sha256").update(file.contents).digest("base64url").slice(0, 12);
  const name = base.endsWith(".LEGAL.txt") ? base : `${base.slice(0, dot)}-${hash}${base.slice(dot)}`;
  named[base] = name;
  await writeCompressed(join(assets, name), file.contents);
}

const template = await readFile(join(root, "index.html"), "utf8");
const html = template
  .replace("{{script}}", `/assets/${named["app.js"]}`)
  .replace("{{style}}", `/assets/${named["app.css"]}`);
await writeCompressed(join(out, "index.html"), Buffer.from(html));
await rm(`${target}.old`, { recursive: true, force: true });
await rename(target, `${target}.old`).catch(() => {});
await rename(out, target);
await rm(`${target}.old`, { recursive: true, force: true });

async function writeCompressed(path, contents) {
  await writeFile(path, contents);
  await writeFile(`${path}.gz`, gzipSync(contents, { level: 9 }));
  await writeFile(
    `${path}.br`,
    brotliCompressSync(contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
}
