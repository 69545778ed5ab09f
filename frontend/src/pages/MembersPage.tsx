import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import type { Invitation, IssuedInvitation, Member, Project, Role } from "../types";

// A project's members and invitations, for its managers (and admins): who has which role, invite
// someone by e-mail (the link is shown here once, to copy, and e-mailed), revoke a pending one.

const ROLES: Exclude<Role, "admin">[] = ["annotator", "reviewer", "manager", "researcher"];
const message = (exc: unknown) => (exc instanceof Error ? exc.message : String(exc));

function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function InviteForm({ projectId, onInvited }: { projectId: number; onInvited: (i: IssuedInvitation) => void }) {
  const base = useId();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Exclude<Role, "admin">>("annotator");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setError("");
    try {
      onInvited(await api.invite(projectId, email, role));
      setEmail("");
    } catch (exc) {
      const fields = fieldErrors(exc);
      setErrors(fields);
      if (!fields.email && !fields.role) setError(message(exc));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby={`${base}-title`} className="card manage-section invite-form">
      <h2 id={`${base}-title`}>Invite</h2>
      <p className="muted">The person gets an e-mail with a link to choose a username and password, and joins with this role.</p>
      <div className="invite-fields">
        <label htmlFor={`${base}-email`}>E-mail address</label>
        <input
          id={`${base}-email`}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={Boolean(errors.email)}
          aria-describedby={errors.email ? `${base}-email-error` : undefined}
          required
        />
        <label htmlFor={`${base}-role`}>Role</label>
        <select id={`${base}-role`} value={role} onChange={(e) => setRole(e.target.value as Exclude<Role, "admin">)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Inviting…" : "Send invitation"}
        </button>
      </div>
      {errors.email && (
        <p id={`${base}-email-error`} className="error">
          {errors.email}
        </p>
      )}
      {(error || errors.role) && (
        <p role="alert" className="error">
          {error || errors.role}
        </p>
      )}
    </form>
  );
}

export default function MembersPage() {
  const projectId = Number(useParams().projectId);
  const linkId = useId();
  const [project, setProject] = useState<Project | null>(null);
  const [members, setMembers] = useState<Member[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  const [error, setError] = useState("");

  const load = useCallback(() => {
    Promise.all([api.project(projectId), api.members(projectId), api.invitations(projectId)])
      .then(([p, m, i]) => {
        setProject(p);
        setMembers(m.results);
        setInvitations(i.results);
      })
      .catch((exc) => setError(exc instanceof ApiError && exc.status === 404 ? "No such project." : message(exc)));
  }, [projectId]);

  useEffect(load, [load]);

  const revoke = async (invitation: Invitation) => {
    try {
      await api.revokeInvitation(invitation.id);
      if (issued?.id === invitation.id) setIssued(null);
      load();
    } catch (exc) {
      setError(message(exc));
    }
  };

  if (!Number.isFinite(projectId)) return <p role="alert" className="error">No such project.</p>;
  const manages = project && ["manager", "admin"].includes(project.my_role ?? "");

  return (
    <section className="manage-page" aria-labelledby="members-title">
      <div className="page-head">
        <h1 id="members-title">Members{project ? `: ${project.name}` : ""}</h1>
        <Link className="button" to={`/projects/${projectId}/manage`}>
          Statistics
        </Link>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!members && !error && <p role="status">Loading members…</p>}

      {manages && (
        <InviteForm
          projectId={projectId}
          onInvited={(i) => {
            setIssued(i);
            load();
          }}
        />
      )}
      {issued && (
        <div className="card manage-section invite-link" role="status">
          <p>
            Invitation sent to <strong>{issued.email}</strong>. The link is shown only now: copy it if you want to pass
            it on yourself.
          </p>
          <label htmlFor={linkId}>Invitation link</label>
          <input id={linkId} readOnly value={issued.link} onFocus={(e) => e.currentTarget.select()} />
        </div>
      )}

      {members && (
        <section aria-labelledby="member-list-title" className="card manage-section">
          <h2 id="member-list-title">Members</h2>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Members of this project and their roles</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Role</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody>
                {members.map((m) => (
                  <tr key={m.id}>
                    <th scope="row">{m.username}</th>
                    <td>{m.role}</td>
                    <td>{when(m.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {invitations && invitations.length > 0 && (
        <section aria-labelledby="invitation-list-title" className="card manage-section">
          <h2 id="invitation-list-title">Invitations</h2>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Invitations to this project</caption>
              <thead>
                <tr>
                  <th scope="col">E-mail address</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Invited by</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {invitations.map((i) => (
                  <tr key={i.id}>
                    <th scope="row">{i.email}</th>
                    <td>{i.role}</td>
                    <td>{i.state}</td>
                    <td>{when(i.expires_at)}</td>
                    <td>{i.invited_by ?? "—"}</td>
                    <td>
                      {i.state === "pending" && manages && (
                        <button type="button" className="link" onClick={() => revoke(i)} aria-label={`Revoke the invitation of ${i.email}`}>
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </section>
  );
}
