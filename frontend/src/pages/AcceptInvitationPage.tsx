import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, fieldErrors } from "../api";
import { Field } from "../components/Field";
import { invitationMessage, useInvitationLink } from "./invitationLink";

// The invitation link's page: /invitation#token=… (the fragment never reaches a server). The
// invitee chooses a username and password; the account gets the invitation's e-mail address and
// project role, and the link stops working.

export default function AcceptInvitationPage() {
  const navigate = useNavigate();
  const { token, invitation, loadError } = useInvitationLink();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [email, setEmail] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    setErrors({});
    try {
      const user = await api.acceptInvitation(token, username, password, invitation?.email ? "" : email.trim());
      navigate("/login", { replace: true, state: { notice: `Your account ${user.username} is ready: sign in.` } });
    } catch (exc) {
      const fields = fieldErrors(exc);
      setErrors(fields);
      if (!fields.username && !fields.password && !fields.email) setError(invitationMessage(exc));
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
              {invitation.email ? (
                <>
                  Invitation for <strong>{invitation.email}</strong>
                </>
              ) : (
                "Invitation"
              )}
              {invitation.project ? (
                <>
                  {" "}
                  to the project <strong>{invitation.project}</strong> as {invitation.role}
                </>
              ) : null}
              .
            </p>
            <Field id="new-username" label="Choose a username" error={errors.username}>
              {(describedBy, invalid) => (
                <input
                  id="new-username"
                  autoComplete="username"
                  autoFocus
                  value={username}
                  onChange={(e) => setUsername(e.target.value)}
                  aria-invalid={invalid}
                  aria-describedby={describedBy}
                  required
                />
              )}
            </Field>
            <Field id="new-password" label="Choose a password" error={errors.password}>
              {(describedBy, invalid) => (
                <input
                  id="new-password"
                  type="password"
                  autoComplete="new-password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  aria-invalid={invalid}
                  aria-describedby={describedBy}
                  required
                />
              )}
            </Field>
            {!invitation.email && (
              <Field
                id="new-email"
                label="E-mail address (optional)"
                hint="Only for resetting a forgotten password."
                error={errors.email}
              >
                {(describedBy, invalid) => (
                  <input
                    id="new-email"
                    type="email"
                    autoComplete="email"
                    value={email}
                    onChange={(e) => setEmail(e.target.value)}
                    aria-invalid={invalid}
                    aria-describedby={describedBy}
                  />
                )}
              </Field>
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
