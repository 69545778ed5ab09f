import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";

// Ask for a password reset link by e-mail. The server answers the same whether or not an account
// has the address, so this page does too.

export default function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      setSent((await api.requestPasswordReset(email)).detail);
    } catch (exc) {
      setError(fieldErrors(exc).email ?? (exc instanceof ApiError ? exc.message : String(exc)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login" id="main">
      <form onSubmit={submit} aria-labelledby="forgot-title" className="card">
        <h1 id="forgot-title">Forgot password</h1>
        {sent ? (
          <p role="status" className="ok-note">
            {sent}
          </p>
        ) : (
          <>
            <p className="muted">Enter your account's e-mail address: we send you a link to choose a new password.</p>
            <label htmlFor="email">E-mail address</label>
            <input id="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus required />
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Sending…" : "Send the link"}
            </button>
          </>
        )}
        <p className="login-links">
          <Link to="/login">Back to sign in</Link>
        </p>
      </form>
    </main>
  );
}
