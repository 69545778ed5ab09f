import { useState } from "react";
import { Link } from "react-router-dom";
import { api } from "../api";
import { useSession } from "../session";
import type { InvitationSummary } from "../types";
import { invitationMessage, useInvitationLink } from "./invitationLink";

// An invitation link opened while signed in: join its project with this account (a shareable
// link, or an e-mail invitation to this account's address), or log out to make a new account.

export default function JoinInvitationPage() {
  const { user, logout } = useSession();
  const { token, invitation, loadError } = useInvitationLink();
  const [joinError, setJoinError] = useState("");
  const [joined, setJoined] = useState<InvitationSummary | null>(null);
  const [busy, setBusy] = useState(false);
  const error = joinError || loadError;

  const join = async () => {
    setBusy(true);
    setJoinError("");
    try {
      setJoined(await api.joinInvitation(token));
    } catch (exc) {
      setJoinError(invitationMessage(exc));
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
