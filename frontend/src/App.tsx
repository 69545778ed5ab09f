import { useCallback, useEffect, useState } from "react";
import { Link, NavLink, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { api } from "./api";
import { SessionContext } from "./session";
import type { User } from "./types";
import LoginPage from "./pages/LoginPage";
import ProjectsPage from "./pages/ProjectsPage";
import AnnotatePage from "./pages/AnnotatePage";
import ReviewPage from "./pages/ReviewPage";
import ManagePage from "./pages/ManagePage";
import WeightsPage from "./pages/WeightsPage";
import DatasetsPage from "./pages/DatasetsPage";
import JobsPage from "./pages/JobsPage";
import MembersPage from "./pages/MembersPage";
import ForgotPasswordPage from "./pages/ForgotPasswordPage";
import ResetPasswordPage from "./pages/ResetPasswordPage";
import AcceptInvitationPage from "./pages/AcceptInvitationPage";
import DatasetImportPage from "./pages/DatasetImportPage";

export default function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [error, setError] = useState("");
  const location = useLocation();

  useEffect(() => {
    api
      .session()
      .then((s) => setUser(s.user))
      .catch((exc) => {
        setError(exc.message);
        setUser(null);
      });
  }, []);

  const logout = useCallback(() => {
    api.logout().finally(() => setUser(null));
  }, []);

  if (user === undefined) return <p className="loading" role="status">Loading…</p>;
  if (user === null) {
    return (
      <Routes>
        <Route path="/login" element={<LoginPage onLogin={setUser} notice={error} />} />
        <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route path="/invitation" element={<AcceptInvitationPage />} />
        <Route path="*" element={<Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />} />
      </Routes>
    );
  }
  return (
    <SessionContext.Provider value={{ user, logout }}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/projects" className="brand">
          VisionReward Annotator
        </Link>
        <nav aria-label="Main" className="main-nav">
          <NavLink to="/datasets">Datasets</NavLink>
        </nav>
        <nav aria-label="Account">
          <span className="who">{user.username}</span>
          <button type="button" className="link" onClick={logout}>
            Log out
          </button>
        </nav>
      </header>
      <main id="main" className={location.pathname.endsWith("/annotate") ? "annotate-main" : undefined}>
        <Routes>
          <Route path="/" element={<Navigate to="/projects" replace />} />
          <Route path="/login" element={<Navigate to="/projects" replace />} />
          <Route path="/projects" element={<ProjectsPage />} />
          <Route path="/projects/:projectId/annotate" element={<AnnotatePage />} />
          <Route path="/projects/:projectId/review" element={<ReviewPage />} />
          <Route path="/projects/:projectId/manage" element={<ManagePage />} />
          <Route path="/projects/:projectId/weights" element={<WeightsPage />} />
          <Route path="/projects/:projectId/jobs" element={<JobsPage />} />
          <Route path="/projects/:projectId/members" element={<MembersPage />} />
          <Route path="/projects/:projectId/import/huggingface" element={<DatasetImportPage mode="assets" />} />
          <Route path="/projects/:projectId/import/pairs" element={<DatasetImportPage mode="pairs" />} />
          {["/forgot-password", "/reset-password", "/invitation"].map((path) => (
            <Route
              key={path}
              path={path}
              element={
                <p className="empty">
                  You are signed in as {user.username}: log out to use this link. <Link to="/projects">Your projects</Link>
                </p>
              }
            />
          ))}
          <Route path="/datasets" element={<DatasetsPage />} />
          <Route path="*" element={<p className="empty">No such page. <Link to="/projects">Your projects</Link></p>} />
        </Routes>
      </main>
    </SessionContext.Provider>
  );
}
