/**
 * `npm run lint:openapi`: the document /openapi.json serves, written to
 * dist/openapi.json by `npm run openapi`, must pass `spectral lint` (spectral:oas, .spectral.yaml)
 * and `redocly lint` (recommended, redocly.yaml) with no error and no warning.
 */
import { spawnSync } from "node:child_process";

const FILE = "dist/openapi.json";

const bin = (name: string) => `node_modules/.bin/${name}`;
// Neither tool may phone home; Redocly's update notice is noise here.
const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };
let failed = false;

// Spectral fails on warnings itself.
const spectral = spawnSync(
  bin("spectral"),
  ["lint", "--fail-severity=warn", "--ruleset", ".spectral.yaml", FILE],
  {
    env,
    encoding: "utf8",
  },
);
if (spectral.status !== 0) {
  failed = true;
  process.stderr.write(`spectral lint ${FILE}:\n${spectral.stdout}${spectral.stderr}\n`);
}

// Redocly fails on errors only: its JSON report has the warnings' count.
const redocly = spawnSync(bin("redocly"), ["lint", "--format=json", "--max-problems=1000", FILE], {
  env,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
let totals: { errors: number; warnings: number } | undefined;
try {
  totals = (JSON.parse(redocly.stdout) as { totals: { errors: number; warnings: number } }).totals;
} catch {
  // Reported below.
}
if (totals === undefined || totals.errors + totals.warnings > 0) {
  failed = true;
  const report = spawnSync(bin("redocly"), ["lint", "--format=codeframe", FILE], { env, encoding: "utf8" });
  process.stderr.write(`redocly lint ${FILE}:\n${report.stdout}${report.stderr}\n`);
}

if (failed) process.exit(1);
process.stdout.write(`${FILE}: spectral (spectral:oas) and redocly (recommended): 0 errors, 0 warnings\n`);
