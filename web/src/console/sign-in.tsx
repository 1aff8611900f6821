import { useEffect, useState } from "preact/hooks";
import type { SignInMethods } from "../../../src/modules/auth/sign-in-methods.routes";
import { api, describe } from "../lib/api";
import { Alert, TextField } from "../ui/components";

const PROVIDER_NAMES = { google: "Google", github: "GitHub" } as const;

/** The providers this server has (Google, GitHub), or development sign-in on a laptop with none configured. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [methods, setMethods] = useState<SignInMethods | null>(null);
  const [error, setError] = useState<string | null>(
    new URLSearchParams(location.search).get("error") ? "Sign-in did not complete. Please try again." : null,
  );
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  useEffect(() => {
    api<SignInMethods>("/api/sign-in/methods").then(setMethods, (e: unknown) => setError(describe(e)));
  }, []);

  async function withProvider(provider: "google" | "github") {
    setError(null);
    try {
      const { url } = await api<{ url: string }>("/api/auth/sign-in/social", {
        method: "POST",
        body: { provider, callbackURL: `${location.origin}/`, errorCallbackURL: `${location.origin}/` },
      });
      location.assign(url);
    } catch (e) {
      setError(describe(e));
    }
  }

  async function devSignIn(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await api("/api/auth/dev/sign-in", { method: "POST", body: { name, email } });
      onSignedIn();
    } catch (e) {
      setError(describe(e));
    }
  }

  return (
    <main class="page narrow">
      <h1>Podium presenter console</h1>
      <p class="muted">Sign in to create sessions, go live and run the Q&amp;A.</p>
      <div class="card stack">
        {methods?.providers.map((provider) => (
          <button key={provider} type="button" onClick={() => withProvider(provider)}>
            Sign in with {PROVIDER_NAMES[provider]}
          </button>
        ))}
        {methods?.devSignIn && (
          <form class="stack" onSubmit={devSignIn} aria-labelledby="dev-title">
            <h2 id="dev-title">Development sign-in</h2>
            <p class="muted small">
              No sign-in provider is configured, so this server lets you in with a name and an email. It does
              not exist in production.
            </p>
            <TextField
              id="dev-name"
              label="Name"
              value={name}
              onValue={setName}
              autocomplete="name"
              required
              maxLength={80}
            />
            <TextField
              id="dev-email"
              label="Email"
              value={email}
              onValue={setEmail}
              type="email"
              autocomplete="email"
              required
            />
            <button type="submit">Sign in</button>
          </form>
        )}
        {methods && methods.providers.length === 0 && !methods.devSignIn && (
          <p class="alert">No sign-in method is configured on this server.</p>
        )}
        <Alert message={error} />
      </div>
    </main>
  );
}
