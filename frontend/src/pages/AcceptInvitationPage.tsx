import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import type { InvitationSummary } from "../types";

// The invitation link's page: /invitation#token=… (the fragment never reaches a server). The
// invitee chooses a username and password; the account gets the invitation's e-mail address and
// project role, and the link stops working.

const message = (exc: unknown) => (exc instanceof ApiError ? (fieldErrors(exc).token ?? exc.message) : String(exc));

export default function AcceptInvitationPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const token = useMemo(() => new URLSearchParams(location.hash.replace(/^#/, "")).get("token") ?? "", [location.hash]);
  const [invitation, setInvitation] = useState<InvitationSummary | null>(null);
  const [loadError, setLoadError] = useState(token ? "" : "This page needs the link from the invitation e-mail.");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!token) return;
    let live = true;
    api
      .checkInvitation(token)
      .then((i) => live && setInvitation(i))
      .catch((exc) => live && setLoadError(message(exc)));
    return () => {
      live = false;
    };
  }, [token]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    setErrors({});
    try {
      const user = await api.acceptInvitation(token, username, password);
      navigate("/login", { replace: true, state: { notice: `Your account ${user.username} is ready: sign in.` } });
    } catch (exc) {
      const fields = fieldErrors(exc);
      setErrors(fields);
      if (!fields.username && !fields.password) setError(message(exc));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login" id="main">
      <form onSubmit={submit} aria-labelledby="invitation-title" className="card">
        <h1 id="invitation-title">Join the VisionReward Annotator</h1>
        {loadError && (
          <p role="alert" className="error">
            {loadError} Ask whoever invited you for a new invitation.
          </p>
        )}
        {!invitation && !loadError && <p role="status">Checking the invitation…</p>}
        {invitation && (
          <>
            <p>
              Invitation for <strong>{invitation.email}</strong>
              {invitation.project ? (
                <>
                  {" "}
                  to the project <strong>{invitation.project}</strong> as {invitation.role}
                </>
              ) : null}
              .
            </p>
            <label htmlFor="new-username">Choose a username</label>
            <input
              id="new-username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              aria-invalid={Boolean(errors.username)}
              aria-describedby={errors.username ? "new-username-error" : undefined}
              autoFocus
              required
            />
            {errors.username && (
              <p id="new-username-error" className="error">
                {errors.username}
              </p>
            )}
            <label htmlFor="new-password">Choose a password</label>
            <input
              id="new-password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={Boolean(errors.password)}
              aria-describedby={errors.password ? "new-password-error" : undefined}
              required
            />
            {errors.password && (
              <p id="new-password-error" className="error">
                {errors.password}
              </p>
            )}
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Creating…" : "Create my account"}
            </button>
          </>
        )}
        <p className="login-links">
          <Link to="/login">Sign in instead</Link>
        </p>
      </form>
    </main>
  );
}
