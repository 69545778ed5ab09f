import { createContext, useContext } from "react";
import type { User } from "./types";

export interface SessionValue {
  user: User;
  logout: () => void;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside a logged-in page");
  return value;
}
