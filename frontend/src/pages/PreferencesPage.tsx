import { useEffect, useRef, useState } from "react";
import { ApiError } from "../api";
import PageMessages from "../components/PageMessages";
import { LANGUAGE_NAMES, LANGUAGES, useT, type MessageKey } from "../i18n";
import {
  ACTIONS,
  bindingLabel,
  bindingOf,
  effectiveBinding,
  loadLayoutMap,
  optionIndex,
  remap,
  resetKeys,
  type Action,
  type LayoutMap,
  type Overrides,
} from "../keymap";
import { usePreferences } from "../preferences";
import type { Preferences, Theme } from "../types";

// The account's preferences: language, theme, single-key shortcuts on/off (WCAG 2.1.4), and the
// annotate screen's keys (press a key to give it to an action; a key another action has is
// refused with that action's name; reset one or all). Each change is saved with the account at once.

const THEMES: Theme[] = ["system", "light", "dark", "high-contrast"];
const MODIFIER_CODES = /^(Shift|Control|Alt|Meta|OS|CapsLock)(Left|Right)?$/;

export default function PreferencesPage() {
  const t = useT();
  const { preferences, keymap, save } = usePreferences();
  const [notice, setNotice] = useState("");
  const [error, setError] = useState("");
  const [capturing, setCapturing] = useState<Action | null>(null);
  const [layout, setLayout] = useState<LayoutMap | null>(null);
  const singleKey = preferences.single_key_shortcuts;
  const overrides = preferences.keymap as Overrides;

  useEffect(() => {
    void loadLayoutMap().then(setLayout);
  }, []);

  const actionName = (action: Action) => {
    const i = optionIndex(action);
    return i === null ? t(`action.${action}` as MessageKey) : t("action.option", { n: i + 1 });
  };

  async function change(patch: Partial<Preferences>) {
    setNotice("");
    setError("");
    try {
      await save(patch);
      setNotice(t("prefs.saved"));
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    }
  }

  // One listener for the page's life, reading the latest state through a ref: a key pressed right
  // after the click is caught even before React re-renders.
  const live = useRef({ capturing, overrides, singleKey, layout, change, actionName });
  live.current = { capturing, overrides, singleKey, layout, change, actionName };
  const capturingRef = useRef<Action | null>(null);
  const startCapture = (action: Action) => {
    capturingRef.current = action;
    setCapturing(action);
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = capturingRef.current;
      if (!action || MODIFIER_CODES.test(event.code) || !event.code) return;
      event.preventDefault();
      event.stopPropagation();
      capturingRef.current = null;
      setCapturing(null);
      if (event.code === "Escape") return;
      const { overrides: current, singleKey: single, layout: map, change: save, actionName: name } = live.current;
      const result = remap(current, action, bindingOf(event), single);
      if (result.conflict) {
        setNotice("");
        setError(t("prefs.conflict", { key: bindingLabel(bindingOf(event), map), action: name(result.conflict) }));
        return;
      }
      void save({ keymap: result.overrides as Record<string, string[]> });
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [t]);

  return (
    <section className="settings-form" aria-labelledby="prefs-title" data-testid="preferences">
      <h1 id="prefs-title">{t("prefs.title")}</h1>
      <p className="muted">{t("prefs.intro")}</p>
      <PageMessages notice={notice} error={error} />
      <fieldset>
        <legend>{t("prefs.appearance")}</legend>
        <div className="field">
          <label htmlFor="pref-language">{t("prefs.language")}</label>
          <select
            id="pref-language"
            value={preferences.language}
            onChange={(e) => void change({ language: e.target.value as Preferences["language"] })}
          >
            <option value="">{t("prefs.languageBrowser")}</option>
            {LANGUAGES.map((l) => (
              <option key={l} value={l} lang={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="pref-theme">{t("prefs.theme")}</label>
          <select id="pref-theme" value={preferences.theme} onChange={(e) => void change({ theme: e.target.value as Theme })}>
            {THEMES.map((theme) => (
              <option key={theme} value={theme}>
                {t(`prefs.theme.${theme}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t("prefs.shortcuts")}</legend>
        <label>
          <input
            type="checkbox"
            checked={singleKey}
            onChange={(e) => void change({ single_key_shortcuts: e.target.checked })}
            aria-describedby="pref-single-hint"
            data-testid="single-key"
          />{" "}
          {t("prefs.singleKey")}
        </label>
        <p id="pref-single-hint" className="muted">
          {t("prefs.singleKeyHint")}
        </p>
        <table className="keymap-table">
          <caption className="visually-hidden">{t("prefs.keys")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("prefs.action")}</th>
              <th scope="col">{t("prefs.key")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("prefs.change")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {ACTIONS.map((action) => (
              <tr key={action} data-testid={`keymap-${action}`}>
                <th scope="row">{actionName(action)}</th>
                <td>
                  {capturing === action ? (
                    <span role="status">{t("prefs.pressKey")}</span>
                  ) : keymap[action].length ? (
                    keymap[action].map((b) => (
                      <kbd key={b} style={{ marginRight: "0.25rem" }}>
                        {bindingLabel(effectiveBinding(b, singleKey), layout)}
                      </kbd>
                    ))
                  ) : (
                    <span className="muted">{t("prefs.none")}</span>
                  )}
                </td>
                <td>
                  <button
                    type="button"
                    className="link"
                    onClick={() => startCapture(action)}
                    aria-label={t("prefs.changeFor", { action: actionName(action) })}
                    data-testid={`remap-${action}`}
                  >
                    {t("prefs.change")}
                  </button>
                  {overrides[action] && (
                    <button
                      type="button"
                      className="link"
                      onClick={() => void change({ keymap: resetKeys(overrides, action) as Record<string, string[]> })}
                      aria-label={t("prefs.resetFor", { action: actionName(action) })}
                    >
                      {t("prefs.reset")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={() => void change({ keymap: {} })} data-testid="reset-keys">
          {t("prefs.resetAll")}
        </button>
      </fieldset>
    </section>
  );
}
