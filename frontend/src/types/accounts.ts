// Accounts and members: users, a project's members with their role, invitations by e-mail.

import type { Role } from "./common";

export interface User {
  id: number;
  username: string;
  is_staff: boolean;
  /** Staff, or given annotator.add_project: may create projects. */
  can_create_projects?: boolean;
  /** Staff, or given annotator.add_checklistversion: may upload checklists. */
  can_load_checklists?: boolean;
}

/** A project's member and their role (GET /api/projects/:id/members/). */
export interface Member {
  id: number;
  username: string;
  role: Exclude<Role, "admin">;
  created_at: string;
}

/** An invitation by e-mail (GET /api/invitations/); the link is only in the answer that made it. */
export interface Invitation {
  id: number;
  email: string;
  project: number | null;
  role: Exclude<Role, "admin"> | "";
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  state: "pending" | "accepted" | "expired" | "revoked";
}

export interface IssuedInvitation extends Invitation {
  link: string;
}

/** What an invitation link invites to (POST /api/auth/invitation/). */
export interface InvitationSummary {
  email: string;
  project: string | null;
  role: string;
  expires_at: string;
}
