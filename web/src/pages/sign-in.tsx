import { useState } from "preact/hooks";
import { ApiError, api } from "../api";
import { Problem } from "../components/problem";

/** The token is exchanged for an HttpOnly session cookie; the page never keeps it. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem("token") as HTMLInputElement;
    setBusy(true);
    try {
      await api("POST", "/console/session", { token: input.value });
      input.value = "";
      setError(undefined);
      onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError ? e : undefined);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to relabel</h1>
      <p>
        Use an API token: <code>RELABEL_API_TOKEN</code>, or the file <code>data/relabel.token</code> next to
        the database. The browser then holds a session for 12 hours, and the runbook's requests also work from
        this tab's devtools console.
      </p>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" required />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <Problem error={error} />
    </main>
  );
}
