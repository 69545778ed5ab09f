import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router-dom";
import { api, ApiError } from "../api";
import type { User } from "../types";
import { useT } from "../i18n";

/** A 429: too many failed sign-ins for the account or from this address (the server says until when). */
function LockedOut({ message }: { message: string }) {
  const t = useT();
  return (
    <div role="alert" className="error locked-out">
      <strong>{t("login.locked")}</strong>
      <p>{message}</p>
      <p>
        {t("login.forgotYour")} <Link to="/forgot-password">{t("login.resetByEmail")}</Link>.
      </p>
    </div>
  );
}

export default function LoginPage({ onLogin, notice }: { onLogin: (user: User) => void; notice?: string }) {
  const location = useLocation();
  const t = useT();
  const stateNotice = (location.state as { notice?: string } | null)?.notice ?? "";
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(notice ?? "");
  const [locked, setLocked] = useState("");
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const [params] = useSearchParams();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    setLocked("");
    try {
      const { user } = await api.login(username, password);
      onLogin(user);
      const next = params.get("next");
      navigate(next && next.startsWith("/") && next !== "/login" ? next : "/projects", { replace: true });
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 429) setLocked(exc.message);
      else setError(exc instanceof ApiError ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login" id="main">
      <form onSubmit={submit} aria-labelledby="login-title" className="card">
        <h1 id="login-title">{t("login.title")}</h1>
        <p className="muted">{t("nav.brand")}</p>
        {stateNotice && !error && !locked && (
          <p role="status" className="ok-note">
            {stateNotice}
          </p>
        )}
        <label htmlFor="username">{t("login.username")}</label>
        <input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus required />
        <label htmlFor="password">{t("login.password")}</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        {locked && <LockedOut message={locked} />}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t("login.busy") : t("login.submit")}
        </button>
        <p className="login-links">
          <Link to="/forgot-password">{t("login.forgot")}</Link>
        </p>
      </form>
    </main>
  );
}
