import { useEffect, useMemo, useState } from "react";
import { useLocation } from "react-router-dom";
import { api, ApiError, fieldErrors } from "../api";
import type { InvitationSummary } from "../types";

/** An invitation API error's message (its `token` reason when it names one). */
export const invitationMessage = (exc: unknown) =>
  exc instanceof ApiError ? (fieldErrors(exc).token ?? exc.message) : String(exc);

/** The invitation of the page's link (`/invitation#token=…`; the fragment never reaches a server):
 *  its token, what it invites to once checked, or why it cannot be used. */
export function useInvitationLink() {
  const location = useLocation();
  const token = useMemo(() => new URLSearchParams(location.hash.replace(/^#/, "")).get("token") ?? "", [location.hash]);
  const [invitation, setInvitation] = useState<InvitationSummary | null>(null);
  const [loadError, setLoadError] = useState(token ? "" : "This page needs the link from the invitation.");

  useEffect(() => {
    if (!token) return;
    let live = true;
    api
      .checkInvitation(token)
      .then((i) => live && setInvitation(i))
      .catch((exc) => live && setLoadError(invitationMessage(exc)));
    return () => {
      live = false;
    };
  }, [token]);

  return { token, invitation, loadError };
}
