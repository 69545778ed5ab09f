import type { ReactNode } from "react";
import { SessionContext } from "../session";
import type { User } from "../types";

/** A signed-in session around a page, as App provides it. */
export function WithSession({ user, children }: { user?: Partial<User>; children: ReactNode }) {
  const value = { user: { id: 1, username: "ann", is_staff: false, ...user }, logout: () => {} };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
