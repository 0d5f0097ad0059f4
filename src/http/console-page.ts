import { createHash } from "node:crypto";

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; }
  input { font: inherit; width: 100%; padding: .5rem; box-sizing: border-box; }
  button { font: inherit; padding: .5rem 1rem; margin-top: .5rem; }
  #status { margin-top: 1rem; font-weight: 600; }
  code { background: #f2f2f2; padding: .1rem .3rem; }
`;

const SCRIPT = `
  const status = document.getElementById("status");
  async function check() {
    const res = await fetch("/api/internal/pubsub/topics");
    if (res.status === 403) { status.textContent = "Signed in with an ingest token: the runbook's requests need an admin token."; return; }
    if (!res.ok) { status.textContent = "Not signed in."; return; }
    const { topics } = await res.json();
    status.textContent = "Signed in. " + topics.map((t) => t.topic + ": " + t.pending + " pending, " + t.running + " running, " + t.failed + " dead").join("; ");
  }
  document.getElementById("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = document.getElementById("token").value;
    const res = await fetch("/console/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
    document.getElementById("token").value = "";
    if (res.ok) await check(); else status.textContent = (await res.json()).error.message;
  });
  document.getElementById("signout").addEventListener("click", async () => {
    await fetch("/console/session", { method: "DELETE" });
    await check();
  });
  check();
`;

/** The one page relabel serves: sign in once, then paste the runbook into this tab's devtools console. */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>relabel console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head>
<body>
<h1>relabel console</h1>
<p>Sign in with the API token (<code>RELABEL_API_TOKEN</code>, or the file <code>data/relabel.token</code>).
This tab then holds a session for 12 hours, and the runbook's requests work as written:
open the browser's devtools console on this page and paste them.
The web app, at <a href="/">/</a>, uses the same session.</p>
<form id="signin">
  <label for="token">API token</label>
  <input id="token" name="token" type="password" autocomplete="off" required>
  <button type="submit">Sign in</button>
  <button type="button" id="signout">Sign out</button>
</form>
<p id="status" role="status"></p>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * The page's policy allows exactly its own inline style and script (by hash),
 * requests to its own origin, and nothing else: no other script can run in
 * the tab that holds the session, even if something were injected.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");
