import { useCallback, useRef, type KeyboardEvent, type ReactNode } from "react";
import { useSearchParams } from "react-router-dom";

// Tabs with the WAI-ARIA tabs pattern: a tablist of tab buttons (only the selected one in the Tab
// order; ←/→ move between tabs, Home/End to the first/last, and select them), each tab
// controlling its tabpanel (the panels hold focusable content, so they are not tab stops
// themselves: Tab from the tab goes to the panel's first control). The selected tab is kept in the URL (?tab=key), so a reload, a shared
// link or Back shows the same tab.

export interface TabDef {
  key: string;
  label: string;
}

/** The selected tab from ?param= (the first tab when missing or unknown), and a setter that
 * replaces the URL's entry. */
export function useTab(tabs: TabDef[], param = "tab"): [string, (key: string) => void] {
  const [params, setParams] = useSearchParams();
  const wanted = params.get(param);
  const current = tabs.some((t) => t.key === wanted) ? (wanted as string) : tabs[0].key;
  const select = useCallback(
    (key: string) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          if (key === tabs[0].key) next.delete(param);
          else next.set(param, key);
          return next;
        },
        { replace: true },
      ),
    [setParams, tabs, param],
  );
  return [current, select];
}

export const tabId = (base: string, key: string) => `${base}-tab-${key}`;
export const panelId = (base: string, key: string) => `${base}-panel-${key}`;

interface TabListProps {
  /** Prefix of the tab and panel ids (one per page). */
  base: string;
  label: string;
  tabs: TabDef[];
  current: string;
  onSelect: (key: string) => void;
}

export function TabList({ base, label, tabs, current, onSelect }: TabListProps) {
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const move = (event: KeyboardEvent<HTMLDivElement>) => {
    const i = tabs.findIndex((t) => t.key === current);
    let next = -1;
    if (event.key === "ArrowRight") next = (i + 1) % tabs.length;
    else if (event.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = tabs.length - 1;
    if (next < 0) return;
    event.preventDefault();
    onSelect(tabs[next].key);
    refs.current.get(tabs[next].key)?.focus();
  };
  return (
    <div className="page-tabs" role="tablist" aria-label={label} onKeyDown={move}>
      {tabs.map((t) => {
        const selected = t.key === current;
        return (
          <button
            key={t.key}
            ref={(el) => {
              if (el) refs.current.set(t.key, el);
              else refs.current.delete(t.key);
            }}
            type="button"
            role="tab"
            id={tabId(base, t.key)}
            aria-selected={selected}
            // only the shown panel is in the document (a hidden one may be unmounted)
            aria-controls={selected ? panelId(base, t.key) : undefined}
            tabIndex={selected ? 0 : -1}
            className={selected ? "tab selected" : "tab"}
            onClick={() => onSelect(t.key)}
          >
            {t.label}
          </button>
        );
      })}
    </div>
  );
}

interface TabPanelProps {
  base: string;
  tab: string;
  current: string;
  /** Keep the panel mounted (hidden) while another tab is shown, e.g. for a form's state. */
  keepMounted?: boolean;
  children: ReactNode;
}

export function TabPanel({ base, tab, current, keepMounted = false, children }: TabPanelProps) {
  const shown = tab === current;
  if (!shown && !keepMounted) return null;
  return (
    <div
      role="tabpanel"
      id={panelId(base, tab)}
      aria-labelledby={tabId(base, tab)}
      hidden={!shown}
      className="tab-panel"
    >
      {children}
    </div>
  );
}
