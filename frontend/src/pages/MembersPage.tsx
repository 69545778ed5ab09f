import { useCallback, useEffect, useId, useState, type FormEvent, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import ConfirmDialog from "../components/ConfirmDialog";
import { message, when } from "../components/manage/format";
import PageMessages from "../components/PageMessages";
import CopyField from "../components/CopyField";
import type { Invitation, IssuedInvitation, Member, Project, Role } from "../types";

// A project's members, for its managers (and admins): add people (an e-mailed invitation, a
// shareable invitation link for one or several people, or an existing user by username), change a
// member's role, remove a member, and see when each was last active. The project always keeps a
// manager: the server refuses the change that would leave it without one, and says why.

type MemberRole = Exclude<Role, "admin">;
const ROLES: MemberRole[] = ["annotator", "reviewer", "manager", "researcher"];
const firstError = (exc: unknown, ...fields: string[]) => {
  const errors = fieldErrors(exc);
  return fields.map((f) => errors[f]).find(Boolean) ?? message(exc);
};
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;


function RoleSelect({ id, value, onChange, label }: { id: string; value: MemberRole; onChange: (r: MemberRole) => void; label?: string }) {
  return (
    <>
      {label && <label htmlFor={id}>{label}</label>}
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as MemberRole)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
    </>
  );
}

/** One of the "add people" forms: a titled card, its fields, its submit button and its error. */
function AddForm({
  title,
  intro,
  submit,
  busyLabel,
  idleLabel,
  error,
  children,
}: {
  title: string;
  intro: string;
  submit: () => Promise<void>;
  busyLabel: string;
  idleLabel: string;
  error: string;
  children: ReactNode;
}) {
  const base = useId();
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      await submit();
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={onSubmit} aria-labelledby={`${base}-title`} className="card manage-section invite-form">
      <h2 id={`${base}-title`}>{title}</h2>
      <p className="muted">{intro}</p>
      <div className="invite-fields">
        {children}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? busyLabel : idleLabel}
        </button>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </form>
  );
}

function InviteByEmail({ projectId, onIssued }: { projectId: number; onIssued: (i: IssuedInvitation) => void }) {
  const base = useId();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<MemberRole>("annotator");
  const [error, setError] = useState("");
  return (
    <AddForm
      title="Invite by e-mail"
      intro="The person gets an e-mail with a link to choose a username and password, and joins with this role."
      idleLabel="Send invitation"
      busyLabel="Inviting…"
      error={error}
      submit={async () => {
        setError("");
        try {
          onIssued(await api.invite(projectId, email, role));
          setEmail("");
        } catch (exc) {
          setError(firstError(exc, "email", "role"));
        }
      }}
    >
      <label htmlFor={`${base}-email`}>E-mail address</label>
      <input id={`${base}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <RoleSelect id={`${base}-role`} label="Role" value={role} onChange={setRole} />
    </AddForm>
  );
}

function InviteByLink({ projectId, onIssued }: { projectId: number; onIssued: (i: IssuedInvitation) => void }) {
  const base = useId();
  const [role, setRole] = useState<MemberRole>("annotator");
  const [uses, setUses] = useState("1");
  const [days, setDays] = useState("7");
  const [error, setError] = useState("");
  return (
    <AddForm
      title="Invite by link"
      intro="No e-mail needed: share the link yourself (chat, a lab page). Whoever opens it makes an account and joins with this role, up to the number of people you allow, until it expires or you revoke it."
      idleLabel="Create link"
      busyLabel="Creating…"
      error={error}
      submit={async () => {
        setError("");
        try {
          onIssued(await api.inviteLink(projectId, role, Number(uses), Number(days)));
        } catch (exc) {
          setError(firstError(exc, "max_uses", "expires_in_days", "role", "project"));
        }
      }}
    >
      <RoleSelect id={`${base}-role`} label="Role" value={role} onChange={setRole} />
      <label htmlFor={`${base}-uses`}>People who may use it</label>
      <input id={`${base}-uses`} type="number" min={1} max={500} value={uses} onChange={(e) => setUses(e.target.value)} required />
      <label htmlFor={`${base}-days`}>Expires after (days)</label>
      <input id={`${base}-days`} type="number" min={1} max={90} value={days} onChange={(e) => setDays(e.target.value)} required />
    </AddForm>
  );
}

function AddExisting({ projectId, onAdded }: { projectId: number; onAdded: (m: Member) => void }) {
  const base = useId();
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<MemberRole>("annotator");
  const [error, setError] = useState("");
  return (
    <AddForm
      title="Add an existing user"
      intro="Someone who already has an account on this server joins at once."
      idleLabel="Add member"
      busyLabel="Adding…"
      error={error}
      submit={async () => {
        setError("");
        try {
          onAdded(await api.addMember(projectId, username.trim(), role));
          setUsername("");
        } catch (exc) {
          setError(firstError(exc, "username", "role"));
        }
      }}
    >
      <label htmlFor={`${base}-username`}>Username</label>
      <input id={`${base}-username`} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" required />
      <RoleSelect id={`${base}-role`} label="Role" value={role} onChange={setRole} />
    </AddForm>
  );
}

export default function MembersPage() {
  const projectId = Number(useParams().projectId);
  const linkId = useId();
  const [project, setProject] = useState<Project | null>(null);
  const [members, setMembers] = useState<Member[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");

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

  const act = async (work: () => Promise<unknown>, done: string) => {
    setError("");
    setNotice("");
    try {
      await work();
      setNotice(done);
    } catch (exc) {
      setError(firstError(exc, "role", "username"));
    }
    load();
  };

  const revoke = (invitation: Invitation) =>
    act(async () => {
      await api.revokeInvitation(invitation.id);
      if (issued?.id === invitation.id) setIssued(null);
    }, "The invitation is revoked: its link no longer works.");

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
      <PageMessages notice={notice} error={error} />
      {!members && !error && <p role="status">Loading members…</p>}

      {manages && (
        <div className="add-people">
          <InviteByEmail projectId={projectId} onIssued={(i) => (setIssued(i), load())} />
          <InviteByLink projectId={projectId} onIssued={(i) => (setIssued(i), load())} />
          <AddExisting
            projectId={projectId}
            onAdded={(m) => {
              setNotice(`${m.username} is now a member, as ${m.role}.`);
              load();
            }}
          />
        </div>
      )}
      {issued && (
        <div className="card manage-section invite-link">
          <p role="status">
            {issued.email ? (
              <>
                Invitation sent to <strong>{issued.email}</strong>. The link is shown only now: copy it if you want to
                pass it on yourself.
              </>
            ) : (
              <>
                Invitation link for {plural(issued.max_uses, "person", "people")} as {issued.role}, until{" "}
                {when(issued.expires_at)}. The link is shown only now: copy it and share it.
              </>
            )}
          </p>
          <CopyField id={linkId} label="Invitation link" value={issued.link} />
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
                  <th scope="col">Last login</th>
                  <th scope="col">Last activity</th>
                  <th scope="col">Annotations</th>
                  <th scope="col">Leased now</th>
                  <th scope="col">Since</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.map((m) => (
                  <tr key={m.id} data-testid={`member-${m.username}`}>
                    <th scope="row">{m.username}</th>
                    <td>
                      {manages ? (
                        <select
                          aria-label={`Role of ${m.username}`}
                          value={m.role}
                          onChange={(e) => {
                            const role = e.target.value as MemberRole;
                            act(() => api.changeRole(projectId, m.id, role), `${m.username} is now ${role === "annotator" ? "an" : "a"} ${role}.`);
                          }}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                      ) : (
                        m.role
                      )}
                    </td>
                    <td>{m.last_login ? when(m.last_login) : "never"}</td>
                    <td>{m.last_activity_at ? when(m.last_activity_at) : "never"}</td>
                    <td>{m.annotations_done}</td>
                    <td>{m.active_leases}</td>
                    <td>{when(m.created_at)}</td>
                    <td>
                      {manages && (
                        <button type="button" className="link" onClick={() => setRemoving(m)} aria-label={`Remove ${m.username}`}>
                          Remove
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

      {invitations && invitations.length > 0 && (
        <section aria-labelledby="invitation-list-title" className="card manage-section">
          <h2 id="invitation-list-title">Invitations</h2>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Invitations to this project</caption>
              <thead>
                <tr>
                  <th scope="col">Invitee</th>
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
                {invitations.map((i) => {
                  const who = i.email || `Link (${i.uses} of ${plural(i.max_uses, "use")})`;
                  return (
                    <tr key={i.id}>
                      <th scope="row">{who}</th>
                      <td>{i.role}</td>
                      <td>{i.state === "accepted" && !i.email ? "used up" : i.state}</td>
                      <td>{when(i.expires_at)}</td>
                      <td>{i.invited_by ?? "—"}</td>
                      <td>
                        {i.state === "pending" && manages && (
                          <button type="button" className="link" onClick={() => revoke(i)} aria-label={`Revoke the invitation ${who}`}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      )}

      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.username} from ${project?.name ?? "the project"}?`}
          confirmLabel="Remove member"
          onCancel={() => setRemoving(null)}
          onConfirm={async () => {
            const m = removing;
            setRemoving(null);
            await act(() => api.removeMember(projectId, m.id), `${m.username} is removed from the project.`);
          }}
        >
          <p>They lose access to the project at once.</p>
          <ul>
            <li>
              {removing.active_leases
                ? `Their ${plural(removing.active_leases, "leased task")} ${removing.active_leases === 1 ? "goes" : "go"} back to the queue for others; unsubmitted answers on ${removing.active_leases === 1 ? "it" : "them"} are discarded.`
                : "They hold no leased tasks."}
            </li>
            <li>
              {removing.annotations_done
                ? `Their ${plural(removing.annotations_done, "submitted annotation")} stay in the project (statistics, review and exports keep them).`
                : "They have submitted no annotations here."}
            </li>
          </ul>
        </ConfirmDialog>
      )}
    </section>
  );
}
