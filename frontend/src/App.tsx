import { useCallback, useEffect, useState, type ReactElement } from "react";
import { Link, NavLink, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { api } from "./api";
import { SessionContext } from "./session";
import { useT } from "./i18n";
import { PreferencesProvider } from "./preferences";
import PreferencesPage from "./pages/PreferencesPage";
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
import AssetsPage from "./pages/AssetsPage";
import ModelsPage from "./pages/ModelsPage";
import ForgotPasswordPage from "./pages/ForgotPasswordPage";
import ResetPasswordPage from "./pages/ResetPasswordPage";
import AcceptInvitationPage from "./pages/AcceptInvitationPage";
import NewProjectPage from "./pages/NewProjectPage";
import ProjectSettingsPage from "./pages/ProjectSettingsPage";
import LabelStudioImportPage from "./pages/LabelStudioImportPage";
import AccountPage from "./pages/AccountPage";
import JoinInvitationPage from "./pages/JoinInvitationPage";
import { DatasetsGate, ProjectScreenGate } from "./components/NotForRole";
import { canUse, useMyProjects, type Screen } from "./roles";

/** The main navigation: Datasets only for staff and those who manage or research a project. */
function MainNav({ user }: { user: User }) {
  const projects = useMyProjects();
  const t = useT();
  const datasets = user.is_staff || (projects ?? []).some((p) => canUse(p.my_role, "datasets"));
  return (
    <nav aria-label={t("nav.main")} className="main-nav">
      {datasets && <NavLink to="/datasets">{t("nav.datasets")}</NavLink>}
    </nav>
  );
}

const gated = (screen: Screen, element: ReactElement) => (
  <ProjectScreenGate screen={screen}>{element}</ProjectScreenGate>
);
import DatasetImportPage from "./pages/DatasetImportPage";

export default function App() {
  const [signedIn, setSignedIn] = useState(false);
  return (
    <PreferencesProvider signedIn={signedIn}>
      <Screens onSignedIn={setSignedIn} />
    </PreferencesProvider>
  );
}

function Screens({ onSignedIn }: { onSignedIn: (signedIn: boolean) => void }) {
  const t = useT();
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

  useEffect(() => onSignedIn(!!user), [user, onSignedIn]);

  const logout = useCallback(() => {
    api.logout().finally(() => setUser(null));
  }, []);

  if (user === undefined)
    return (
      <p className="loading" role="status">
        {t("loading")}
      </p>
    );
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
        {t("nav.skip")}
      </a>
      <header className="topbar">
        <Link to="/projects" className="brand">
          {t("nav.brand")}
        </Link>
        <MainNav user={user} />
        <nav aria-label={t("nav.account")}>
          <Link to="/account/preferences" className="who">
            {t("nav.preferences")}
          </Link>
          <Link to="/account" className="who" aria-label={t("nav.yourAccount", { name: user.username })}>
            {user.username}
          </Link>
          <button type="button" className="link" onClick={logout}>
            {t("nav.logout")}
          </button>
        </nav>
      </header>
      <main id="main" className={location.pathname.endsWith("/annotate") ? "annotate-main" : undefined}>
        <Routes>
          <Route path="/" element={<Navigate to="/projects" replace />} />
          <Route path="/login" element={<Navigate to="/projects" replace />} />
          <Route path="/projects" element={<ProjectsPage />} />
          <Route path="/projects/:projectId/annotate" element={gated("annotate", <AnnotatePage />)} />
          <Route path="/projects/:projectId/review" element={gated("review", <ReviewPage />)} />
          <Route path="/projects/:projectId/manage" element={gated("statistics", <ManagePage />)} />
          <Route path="/projects/:projectId/weights" element={gated("weights", <WeightsPage />)} />
          <Route path="/projects/:projectId/jobs" element={gated("jobs", <JobsPage />)} />
          <Route path="/projects/:projectId/members" element={gated("members", <MembersPage />)} />
          <Route path="/projects/new" element={<NewProjectPage />} />
          <Route path="/projects/:projectId/settings" element={gated("settings", <ProjectSettingsPage />)} />
          <Route path="/projects/:projectId/assets" element={gated("assets", <AssetsPage />)} />
          <Route path="/projects/:projectId/import/label-studio" element={gated("imports", <LabelStudioImportPage />)} />
          <Route path="/projects/:projectId/models" element={gated("models", <ModelsPage />)} />
          <Route path="/projects/:projectId/import/huggingface" element={gated("imports", <DatasetImportPage mode="assets" />)} />
          <Route path="/projects/:projectId/import/pairs" element={gated("imports", <DatasetImportPage mode="pairs" />)} />
          <Route path="/invitation" element={<JoinInvitationPage />} />
          {["/forgot-password", "/reset-password"].map((path) => (
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
          <Route
            path="/datasets"
            element={
              <DatasetsGate>
                <DatasetsPage />
              </DatasetsGate>
            }
          />
          <Route path="/account" element={<AccountPage />} />
          <Route path="/account/preferences" element={<PreferencesPage />} />
          <Route path="*" element={<p className="empty">No such page. <Link to="/projects">Your projects</Link></p>} />
        </Routes>
      </main>
    </SessionContext.Provider>
  );
}
