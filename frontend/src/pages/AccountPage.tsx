import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { api, fieldErrors } from "../api";
import ConfirmDialog from "../components/ConfirmDialog";
import { message, when } from "../components/manage/format";
import PageMessages from "../components/PageMessages";
import CopyField from "../components/CopyField";
import { Field } from "../components/Field";
import { useSession } from "../session";
import { Link } from "react-router-dom";
import { useT } from "../i18n";
import type { IssuedToken, PersonalToken } from "../types";

// The signed-in user's account: personal API tokens for scripts and the command line. A token's
// key is shown once, when it is made (the server keeps only its hash); the list shows each token's
// name, its first characters, when it was last used and when it expires, and revokes one.

const EXPIRIES = [
  { value: "30", label: "in 30 days" },
  { value: "90", label: "in 90 days" },
  { value: "365", label: "in a year" },
  { value: "", label: "never (until revoked)" },
];


function NewTokenForm({ onCreated }: { onCreated: (t: IssuedToken) => void }) {
  const base = useId();
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState("90");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setError("");
    try {
      const expiresAt = expiry ? new Date(Date.now() + Number(expiry) * 86_400_000).toISOString() : null;
      onCreated(await api.createToken(name.trim(), expiresAt));
      setName("");
    } catch (exc) {
      const fields = fieldErrors(exc);
      setErrors(fields);
      if (!fields.name && !fields.expires_at) setError(message(exc));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby={`${base}-title`} className="card manage-section token-form">
      <h2 id={`${base}-title`}>New token</h2>
      <Field id={`${base}-name`} label="Token name" hint="What it is for: the script or the machine." error={errors.name}>
        {(describedBy, invalid) => (
          <input
            id={`${base}-name`}
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            required
          />
        )}
      </Field>
      <Field id={`${base}-expiry`} label="Expires" error={errors.expires_at}>
        {(describedBy, invalid) => (
          <select
            id={`${base}-expiry`}
            value={expiry}
            onChange={(e) => setExpiry(e.target.value)}
            aria-invalid={invalid}
            aria-describedby={describedBy}
          >
            {EXPIRIES.map((e) => (
              <option key={e.value} value={e.value}>
                {e.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Creating…" : "Create token"}
      </button>
    </form>
  );
}

export default function AccountPage() {
  const { user } = useSession();
  const t = useT();
  const keyId = useId();
  const [tokens, setTokens] = useState<PersonalToken[] | null>(null);
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [revoking, setRevoking] = useState<PersonalToken | null>(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");

  const load = useCallback(() => {
    api
      .tokens()
      .then((page) => setTokens(page.results))
      .catch((exc) => setError(message(exc)));
  }, []);
  useEffect(load, [load]);

  const revoke = async () => {
    if (!revoking) return;
    try {
      await api.revokeToken(revoking.id);
      setNotice(`The token ${revoking.name} is revoked: its key no longer works.`);
      if (issued?.id === revoking.id) setIssued(null);
      load();
    } catch (exc) {
      setError(message(exc));
    } finally {
      setRevoking(null);
    }
  };

  const origin = typeof window !== "undefined" ? window.location.origin : "";
  return (
    <section className="manage-page account-page" aria-labelledby="account-title">
      <div className="page-head">
        <h1 id="account-title">Your account: {user.username}</h1>
        <Link to="/account/preferences">{t("prefs.linkFromAccount")}</Link>
      </div>
      <section aria-labelledby="tokens-title" className="card manage-section">
        <h2 id="tokens-title">Personal API tokens</h2>
        <p className="muted">
          For scripts and the command line: send <code>Authorization: Token &lt;key&gt;</code> (or{" "}
          <code>Bearer &lt;key&gt;</code>) with each request to the API. A token acts as you, with your roles; revoke it
          when it is no longer needed. Only a hash of each key is stored, so a lost key cannot be shown again: make a
          new token.
        </p>
      </section>

      <NewTokenForm
        onCreated={(token) => {
          setIssued(token);
          setNotice("");
          load();
        }}
      />
      {issued && (
        <div className="card manage-section issued-secret" aria-labelledby={`${keyId}-title`}>
          <h2 id={`${keyId}-title`}>Your new token {issued.name}</h2>
          <p role="status">Copy the key now: it is shown only this once.</p>
          <CopyField id={keyId} label="Token key" value={issued.key} />
          <p className="muted">
            Try it: <code>curl -H "Authorization: Token {issued.key.slice(0, 8)}…" {origin}/api/projects/</code>
          </p>
          <button type="button" onClick={() => setIssued(null)}>
            I have copied it
          </button>
        </div>
      )}

      <PageMessages notice={notice} error={error} />
      {!tokens && !error && <p role="status">Loading tokens…</p>}
      {tokens && (
        <section aria-labelledby="token-list-title" className="card manage-section">
          <h2 id="token-list-title">Your tokens</h2>
          {tokens.length === 0 ? (
            <p className="empty-note">No tokens yet.</p>
          ) : (
            <div className="table-scroll">
              <table>
                <caption className="visually-hidden">Your personal API tokens</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key starts with</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">State</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {tokens.map((t) => (
                    <tr key={t.id}>
                      <th scope="row">{t.name}</th>
                      <td>
                        <code>{t.prefix}…</code>
                      </td>
                      <td>{when(t.created_at)}</td>
                      <td>{t.last_used_at ? when(t.last_used_at) : "never"}</td>
                      <td>{t.expires_at ? when(t.expires_at) : "never"}</td>
                      <td>{t.state}</td>
                      <td>
                        {t.state !== "revoked" && (
                          <button type="button" className="link" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke token"
          onConfirm={revoke}
          onCancel={() => setRevoking(null)}
        >
          <p>
            Scripts that use the key <code>{revoking.prefix}…</code> stop working at once. This cannot be undone: a new
            token gets a new key.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
