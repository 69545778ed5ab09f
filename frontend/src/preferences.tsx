// The account's preferences in the app: loaded at start, applied to <html> (lang, data-theme), and
// given to every screen (the language, the keymap). Until they are loaded (and on the login page)
// the copy last seen on this device is used, so the page does not flash another theme.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api } from "./api";
import { LanguageContext, resolveLanguage, type Language } from "./i18n";
import { withOverrides, type Keymap, type Overrides } from "./keymap";
import type { Preferences } from "./types";

export const DEFAULT_PREFERENCES: Preferences = { language: "", theme: "system", single_key_shortcuts: true, keymap: {} };
const STORE = "vr:preferences";

function cached(): Preferences {
  try {
    const raw = localStorage.getItem(STORE);
    return raw ? { ...DEFAULT_PREFERENCES, ...(JSON.parse(raw) as Partial<Preferences>) } : DEFAULT_PREFERENCES;
  } catch {
    return DEFAULT_PREFERENCES;
  }
}

export interface PreferencesValue {
  preferences: Preferences;
  language: Language;
  keymap: Keymap;
  /** Save a change with the account; rejects with the API's error (400 naming the field). */
  save: (change: Partial<Preferences>) => Promise<Preferences>;
}

const fallback: PreferencesValue = {
  preferences: DEFAULT_PREFERENCES,
  language: "en",
  keymap: withOverrides({}),
  save: async (change) => ({ ...DEFAULT_PREFERENCES, ...change }),
};

export const PreferencesContext = createContext<PreferencesValue>(fallback);
export const usePreferences = (): PreferencesValue => useContext(PreferencesContext);

export function applyToDocument(prefs: Preferences, language: Language) {
  document.documentElement.lang = language;
  document.documentElement.dataset.theme = prefs.theme;
}

/** Provides the preferences; `signedIn` loads the account's (else the device's copy is used). */
export function PreferencesProvider({ signedIn, children }: { signedIn: boolean; children: ReactNode }) {
  const [preferences, setPreferences] = useState<Preferences>(cached);
  const language = resolveLanguage(preferences.language, typeof navigator !== "undefined" ? navigator.languages ?? [] : []);

  // Signing out forgets the account's choices on this device (the next person gets the defaults).
  const wasSignedIn = useRef(false);
  useEffect(() => {
    if (wasSignedIn.current && !signedIn) setPreferences(DEFAULT_PREFERENCES);
    wasSignedIn.current = signedIn;
  }, [signedIn]);

  useEffect(() => {
    if (!signedIn) return;
    let cancelled = false;
    api
      .preferences()
      .then((p) => {
        if (!cancelled) setPreferences(p);
      })
      .catch(() => undefined); // an older server, or offline: the device's copy stays
    return () => {
      cancelled = true;
    };
  }, [signedIn]);

  useEffect(() => {
    applyToDocument(preferences, language);
    try {
      localStorage.setItem(STORE, JSON.stringify(preferences));
    } catch {
      /* private mode: nothing kept */
    }
  }, [preferences, language]);

  // Shown at once (a checkbox must change when clicked), put back if the server refuses it.
  const save = useCallback(async (change: Partial<Preferences>) => {
    let before: Preferences = DEFAULT_PREFERENCES;
    setPreferences((p) => {
      before = p;
      return { ...p, ...change };
    });
    try {
      const saved = await api.savePreferences(change);
      setPreferences(saved);
      return saved;
    } catch (exc) {
      setPreferences(before);
      throw exc;
    }
  }, []);

  const keymap = useMemo(() => withOverrides(preferences.keymap as Overrides), [preferences.keymap]);
  const value = useMemo(() => ({ preferences, language, keymap, save }), [preferences, language, keymap, save]);
  return (
    <PreferencesContext.Provider value={value}>
      <LanguageContext.Provider value={language}>{children}</LanguageContext.Provider>
    </PreferencesContext.Provider>
  );
}
