import { useEffect, useMemo, useState } from "react";
import { Link, useLocation } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import { useSession } from "../session";
import type { InvitationSummary } from "../types";

// An invitation link opened while signed in: join its project with this account (a shareable
// link, or an e-mail invitation to this account's address), or log out to make a new account.

const message = (exc: unknown) => (exc instanceof ApiError ? (fieldErrors(exc).token ?? exc.message) : String(exc));

export default function JoinInvitationPage() {
  const { user, logout } = useSession();
  const location = useLocation();
  const token = useMemo(() => new URLSearchParams(location.hash.replace(/^#/, "")).get("token") ?? "", [location.hash]);
  const [invitation, setInvitation] = useState<InvitationSummary | null>(null);
  const [error, setError] = useState(token ? "" : "This page needs the link from the invitation.");
  const [joined, setJoined] = useState<InvitationSummary | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!token) return;
    let live = true;
    api
      .checkInvitation(token)
      .then((i) => live && setInvitation(i))
      .catch((exc) => live && setError(message(exc)));
    return () => {
      live = false;
    };
  }, [token]);

  const join = async () => {
    setBusy(true);
    setError("");
    try {
      setJoined(await api.joinInvitation(token));
    } catch (exc) {
      setError(message(exc));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card not-for-role" aria-labelledby="join-title">
      <h1 id="join-title">Invitation</h1>
      {!invitation && !error && <p role="status">Checking the invitation…</p>}
      {joined ? (
        <p role="status" className="ok">
          You are now {/^[aeiou]/.test(joined.role) ? "an" : "a"} {joined.role} in <strong>{joined.project}</strong>.{" "}
          <Link to="/projects">Your projects</Link>
        </p>
      ) : (
        invitation && (
          <>
            <p>
              {invitation.email ? <>Invitation for {invitation.email} </> : "Invitation "}
              {invitation.project ? (
                <>
                  to the project <strong>{invitation.project}</strong> as {invitation.role}.
                </>
              ) : (
                "to make an account."
              )}
            </p>
            {invitation.project && (
              <button type="button" className="primary" onClick={join} disabled={busy}>
                {busy ? "Joining…" : `Join as ${user.username}`}
              </button>
            )}
          </>
        )
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!joined && (
        <p className="muted">
          To make a new account with this link instead,{" "}
          <button type="button" className="link" onClick={logout}>
            log out
          </button>{" "}
          and open it again.
        </p>
      )}
    </section>
  );
}
