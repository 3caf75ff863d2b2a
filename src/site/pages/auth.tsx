import { useState } from "preact/hooks";
import { api, ApiError, describeError } from "../api";
import { Field } from "../components/field";
import { navigate } from "../router";
import { useAction } from "../hooks";
import { onSignedIn } from "../session-flow";

const LABELS: Record<string, string> = { email: "Email", password: "Password", displayName: "Display name" };

/** The server's issues as sentences that name the field ("Display name is required"), the first per field. */
function fieldMessages(err: ApiError): Record<string, string> {
  const named: Record<string, string> = {};
  for (const issue of err.issues) {
    const label = LABELS[issue.path];
    if (label && !(issue.path in named)) named[issue.path] = `${label} ${issue.message}`;
  }
  return named;
}

export function AuthPage({ mode }: { mode: "login" | "register" }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const { busy, run } = useAction();
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setFieldErrors({});
    await run(
      true,
      async () => {
        if (mode === "login") await api.login(email, password);
        else await api.register(email, password, displayName);
        await onSignedIn();
        navigate("/");
      },
      (err) => {
        const named = err instanceof ApiError ? fieldMessages(err) : {};
        setFieldErrors(named);
        const sentences = Object.values(named);
        setError(sentences.length > 0 ? `${sentences.join(". ")}.` : describeError(err));
      },
    );
  };

  const register = mode === "register";
  return (
    <section class="page auth-page">
      <form class="panel auth-form" onSubmit={submit} noValidate>
        <h1>{register ? "Create your account" : "Welcome back"}</h1>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <Field id="email" label="Email" error={fieldErrors.email}>
          <input id="email" name="email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        {register && (
          <Field id="displayName" label="Display name" error={fieldErrors.displayName} hint="Shown in the live drops feed.">
            <input id="displayName" name="displayName" required value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} />
          </Field>
        )}
        <Field id="password" label="Password" error={fieldErrors.password} hint={register ? "At least 8 characters." : undefined}>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete={register ? "new-password" : "current-password"}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Please wait…" : register ? "Sign up" : "Log in"}
        </button>
        <p class="muted small">
          {register ? (
            <>
              Already have an account? <a href="/login">Log in</a>
            </>
          ) : (
            <>
              New here? <a href="/register">Create an account</a>
            </>
          )}
        </p>
      </form>
    </section>
  );
}
