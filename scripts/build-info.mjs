// Records the commit dist/ was built from in dist/build-info.json, which
// relabel_build_info{commit} reports (src/metrics.ts). Run by `npm run build`,
// so a running server never shells out to git. Outside a git checkout the
// commit is null and the metric says "unknown" (or set RELABEL_COMMIT).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let commit = null;
try {
  commit =
    execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim() || null;
} catch {
  // No git, or not a checkout.
}
mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(join(root, "dist", "build-info.json"), `${JSON.stringify({ commit })}\n`);
