// The key hints' labels: the user's actual key for an action, as their layout types it where the
// browser tells (navigator.keyboard.getLayoutMap()), else the code's usual character.
import { useEffect, useState } from "react";
import { actionLabel, loadLayoutMap, optionAction, type Action, type LayoutMap } from "../../keymap";
import { usePreferences } from "../../preferences";

export default function useKeyLabel(): (action: Action) => string {
  const { keymap, preferences } = usePreferences();
  const [layout, setLayout] = useState<LayoutMap | null>(null);
  useEffect(() => {
    let live = true;
    void loadLayoutMap().then((l) => live && setLayout(l));
    return () => {
      live = false;
    };
  }, []);
  return (action) => actionLabel(keymap, action, preferences.single_key_shortcuts, layout);
}

/** The label of the key that chooses the option at `index` (0-based), "" when none does. */
export const optionLabel = (label: (action: Action) => string, index: number) => label(optionAction(index));
