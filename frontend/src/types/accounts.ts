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
  last_login: string | null;
  /** Their latest submitted or revised annotation in the project. */
  last_annotation_at: string | null;
  /** The latest task they leased in the project. */
  last_assignment_at: string | null;
  /** The later of the two (null: never active in the project). */
  last_activity_at: string | null;
  annotations_done: number;
  /** Tasks leased now: they go back to the queue when the member is removed. */
  active_leases: number;
}

/** An invitation by e-mail, or a shareable link when `email` is blank (GET /api/invitations/); the
 *  link is only in the answer that made it. */
export interface Invitation {
  id: number;
  email: string;
  project: number | null;
  role: Exclude<Role, "admin"> | "";
  /** A link: how many people may use it, and how many did. */
  max_uses: number;
  uses: number;
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

/** A personal API token (GET /api/tokens/): never its key, which only its creation answers. */
export interface PersonalToken {
  id: number;
  name: string;
  /** The key's first characters, to tell tokens apart. */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  state: "active" | "expired" | "revoked";
}

export interface IssuedToken extends PersonalToken {
  key: string;
}
