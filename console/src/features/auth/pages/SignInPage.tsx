import { useState, type FormEvent } from "react";
import { checkKey } from "../../../api/client";
import { useAuth } from "../../../api/auth";
import { ProblemAlert } from "../../../components/feedback";

export function SignInPage() {
  const { signIn } = useAuth();
  const [key, setKey] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setChecking(true);
    setError(null);
    try {
      await checkKey(key.trim());
      signIn(key.trim());
    } catch (problem) {
      setError(problem);
    } finally {
      setChecking(false);
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Relay</h1>
        <p className="muted">
          Use an API key of your tenant. <code>make dev</code> prints the development key.
        </p>
        <label>
          API key
          <input
            type="password"
            autoComplete="current-password"
            required
            value={key}
            onChange={(e) => setKey(e.target.value)}
          />
        </label>
        <ProblemAlert error={error} title="That key was not accepted" />
        <button type="submit" className="primary" disabled={checking || !key.trim()}>
          {checking ? "Checking…" : "Sign in"}
        </button>
        <p className="muted small">The key is kept in this browser until you sign out.</p>
      </form>
    </main>
  );
}
