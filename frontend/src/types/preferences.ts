// An account's preferences (GET/PATCH /api/me/preferences/; docs/annotator-app.md).

export type Theme = "system" | "light" | "dark" | "high-contrast";

export interface Preferences {
  /** "" follows the browser. */
  language: "" | "en" | "zh-CN";
  theme: Theme;
  /** Off: character keys act only with Alt (WCAG 2.1.4). */
  single_key_shortcuts: boolean;
  /** Remapped actions only: action → KeyboardEvent.code bindings. */
  keymap: Record<string, string[]>;
}
