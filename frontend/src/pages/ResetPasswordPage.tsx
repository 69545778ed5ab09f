import { useMemo, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import { Field } from "../components/Field";

// The e-mailed link's page: /reset-password#uid=…&token=… (the fragment never reaches a server).

export default function ResetPasswordPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const { uid, token } = useMemo(() => {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    return { uid: params.get("uid") ?? "", token: params.get("token") ?? "" };
  }, [location.hash]);
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError("");
    if (password !== repeat) {
      setErrors({ repeat: "The two passwords differ." });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const { detail } = await api.confirmPasswordReset(uid, token, password);
      navigate("/login", { replace: true, state: { notice: detail } });
    } catch (exc) {
      const fields = fieldErrors(exc);
      setErrors(fields);
      if (!fields.new_password) setError(fields.token ?? fields.uid ?? (exc instanceof ApiError ? exc.message : String(exc)));
    } finally {
      setBusy(false);
    }
  }

  if (!uid || !token) {
    return (
      <main className="login" id="main">
        <div className="card">
          <h1>Choose a new password</h1>
          <p role="alert" className="error">
            This page needs the link from the password reset e-mail. <Link to="/forgot-password">Ask for a new link</Link>.
          </p>
        </div>
      </main>
    );
  }
  return (
    <main className="login" id="main">
      <form onSubmit={submit} aria-labelledby="reset-title" className="card">
        <h1 id="reset-title">Choose a new password</h1>
        <Field id="new-password" label="New password" error={errors.new_password}>
          {(describedBy, invalid) => (
            <input
              id="new-password"
              type="password"
              autoComplete="new-password"
              autoFocus
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              required
            />
          )}
        </Field>
        <Field id="repeat-password" label="Repeat the new password" error={errors.repeat}>
          {(describedBy, invalid) => (
            <input
              id="repeat-password"
              type="password"
              autoComplete="new-password"
              value={repeat}
              onChange={(e) => setRepeat(e.target.value)}
              aria-invalid={invalid}
              aria-describedby={describedBy}
              required
            />
          )}
        </Field>
        {error && (
          <p role="alert" className="error">
            {error} <Link to="/forgot-password">Ask for a new link</Link>.
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : "Set the new password"}
        </button>
      </form>
    </main>
  );
}
