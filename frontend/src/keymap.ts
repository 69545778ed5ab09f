// The annotate screen's keys as data (pure; the rules are the same as annotator/preferences.py).
//
// A binding names a physical key by its KeyboardEvent.code ("Digit1", "KeyA", "Numpad1",
// "ArrowDown"…), after optional modifiers ("Alt+Digit1", "Shift+Slash"). Matching on the code, not
// on event.key, keeps the keys where they are on every layout: on AZERTY the Digit1 key types "&"
// unshifted and still chooses option 1. The defaults can be remapped per action (stored with the
// account); single-key shortcuts can be turned off (WCAG 2.1.4), and then every key that types a
// character (letters, digits, punctuation) acts only with Alt; keys that type nothing (arrows,
// Enter, Backspace, Delete, Space, Tab, F-keys) keep acting alone.

export const MAX_OPTION_KEYS = 20;

export const NAMED_ACTIONS = [
  "next",
  "previous",
  "option-next",
  "option-previous",
  "clear",
  "next-unanswered",
  "accept",
  "submit",
  "skip",
  "help",
  "instructions",
  "play",
  "frame-previous",
  "frame-next",
  "slower",
  "faster",
  "loop",
  "zoom-in",
  "zoom-out",
  "fit",
] as const;

export type NamedAction = (typeof NAMED_ACTIONS)[number];
export type OptionAction = `option.${number}`;
export type Action = NamedAction | OptionAction;

export const optionAction = (index: number): OptionAction => `option.${index + 1}`;
export const OPTION_ACTIONS: OptionAction[] = Array.from({ length: MAX_OPTION_KEYS }, (_, i) => optionAction(i));
export const ACTIONS: Action[] = [...OPTION_ACTIONS, ...NAMED_ACTIONS];

/** The option an action chooses (0-based), or null for another action. */
export function optionIndex(action: Action): number | null {
  const m = /^option\.(\d+)$/.exec(action);
  return m ? Number(m[1]) - 1 : null;
}

export type Keymap = Record<Action, string[]>;
export type Overrides = Partial<Record<Action, string[]>>;

const DIGITS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];

/** The default keys: options 1–9 then 0 (and the number pad), options 11–20 Shift + the same digits. */
export function defaultKeymap(): Keymap {
  const keys = {} as Keymap;
  DIGITS.forEach((d, i) => {
    keys[optionAction(i)] = [`Digit${d}`, `Numpad${d}`];
    keys[optionAction(i + 10)] = [`Shift+Digit${d}`];
  });
  Object.assign(keys, {
    next: ["ArrowDown", "KeyJ"],
    previous: ["ArrowUp", "KeyK"],
    "option-next": ["ArrowRight"],
    "option-previous": ["ArrowLeft"],
    clear: ["Backspace", "Delete"],
    "next-unanswered": ["KeyN"],
    accept: ["KeyA"],
    submit: ["Enter", "NumpadEnter"],
    skip: ["KeyS"],
    help: ["Shift+Slash", "Slash"],
    instructions: ["KeyI"],
    play: ["Space"],
    "frame-previous": ["Comma"],
    "frame-next": ["Period"],
    slower: ["BracketLeft"],
    faster: ["BracketRight"],
    loop: ["KeyL"],
    "zoom-in": ["Equal", "Shift+Equal", "NumpadAdd"],
    "zoom-out": ["Minus", "NumpadSubtract"],
    fit: ["KeyZ"],
  });
  return keys;
}

const MODIFIERS = ["Ctrl", "Alt", "Shift", "Meta"] as const;
const CODE_RE =
  /^(Digit[0-9]|Numpad[0-9]|Key[A-Z]|F([1-9]|1[0-2])|Arrow(Up|Down|Left|Right)|Enter|NumpadEnter|Backspace|Delete|Space|Minus|Equal|BracketLeft|BracketRight|Semicolon|Quote|Backquote|Backslash|Comma|Period|Slash|IntlBackslash|NumpadAdd|NumpadSubtract|Home|End|PageUp|PageDown|Insert)$/;

/** A binding in its one spelling (modifiers Ctrl, Alt, Shift, Meta in that order), or null if it is not one. */
export function normalBinding(binding: string): string | null {
  const parts = binding.split("+");
  const code = parts.pop() ?? "";
  if (!CODE_RE.test(code)) return null;
  if (new Set(parts).size !== parts.length || parts.some((p) => !(MODIFIERS as readonly string[]).includes(p))) return null;
  return [...MODIFIERS.filter((m) => parts.includes(m)), code].join("+");
}

export interface KeyLike {
  code: string;
  altKey: boolean;
  ctrlKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

/** The binding an event is ("Shift+Digit1"). */
export function bindingOf(e: KeyLike): string {
  const mods = [e.ctrlKey && "Ctrl", e.altKey && "Alt", e.shiftKey && "Shift", e.metaKey && "Meta"].filter(Boolean);
  return [...mods, e.code].join("+");
}

/** Does this key type a character (a letter, digit, punctuation or symbol)? WCAG 2.1.4 is about these. */
export function typesCharacter(code: string): boolean {
  return /^(Digit|Numpad[0-9]|Key|Minus|Equal|Bracket|Semicolon|Quote|Backquote|Backslash|Comma|Period|Slash|IntlBackslash|NumpadAdd|NumpadSubtract)/.test(
    code,
  );
}

const codeOf = (binding: string) => binding.split("+").pop() ?? "";
const hasCommandModifier = (binding: string) => /(^|\+)(Ctrl|Alt|Meta)\+/.test(binding);

/**
 * The binding as it acts under the shortcut setting: itself with single-key shortcuts on; with them
 * off, a character key without Ctrl/Alt/Meta gets Alt ("Digit1" → "Alt+Digit1").
 */
export function effectiveBinding(binding: string, singleKey: boolean): string {
  if (singleKey || hasCommandModifier(binding) || !typesCharacter(codeOf(binding))) return binding;
  return normalBinding(`Alt+${binding}`) ?? binding;
}

/** The defaults with the user's remaps over them (a remapped action has only its remapped keys). */
export function withOverrides(overrides: Overrides = {}): Keymap {
  const keys = defaultKeymap();
  for (const action of ACTIONS) {
    const mine = overrides[action];
    if (mine) keys[action] = mine.map((b) => normalBinding(b)).filter((b): b is string => !!b);
  }
  return keys;
}

/** Keys given to more than one action: binding → the actions. */
export function conflicts(keymap: Keymap, singleKey = true): Map<string, Action[]> {
  const owners = new Map<string, Action[]>();
  for (const action of ACTIONS)
    for (const b of keymap[action] ?? []) {
      const eff = effectiveBinding(b, singleKey);
      const list = owners.get(eff) ?? [];
      if (!list.includes(action)) list.push(action);
      owners.set(eff, list);
    }
  return new Map([...owners].filter(([, actions]) => actions.length > 1));
}

export interface RemapResult {
  overrides: Overrides;
  /** The action that had the key already (the remap is refused then). */
  conflict: Action | null;
}

/** Give `action` the one key `binding`; refused (overrides unchanged) if another action has it. */
export function remap(overrides: Overrides, action: Action, binding: string, singleKey = true): RemapResult {
  const b = normalBinding(binding);
  if (!b) return { overrides, conflict: null };
  const keymap = withOverrides(overrides);
  const eff = effectiveBinding(b, singleKey);
  const other = ACTIONS.find((a) => a !== action && keymap[a].some((x) => effectiveBinding(x, singleKey) === eff));
  if (other) return { overrides, conflict: other };
  return { overrides: { ...overrides, [action]: [b] }, conflict: null };
}

/** Back to the default keys: of one action, or of all (no action). */
export function resetKeys(overrides: Overrides, action?: Action): Overrides {
  if (!action) return {};
  const next = { ...overrides };
  delete next[action];
  return next;
}

const US_KEYS: Record<string, [string, boolean]> = {
  "?": ["Slash", true],
  "/": ["Slash", false],
  ",": ["Comma", false],
  ".": ["Period", false],
  "[": ["BracketLeft", false],
  "]": ["BracketRight", false],
  "-": ["Minus", false],
  "=": ["Equal", false],
  "+": ["Equal", true],
  " ": ["Space", false],
};

/**
 * The event with a code: an event without one (some virtual keyboards, IMEs, synthetic events) gets
 * the code of the key that types its character on a US layout.
 */
export function withCode(e: KeyLike & { key?: string }): KeyLike {
  if (CODE_RE.test(e.code) || !e.key) return e;
  const k = e.key;
  if (/^[0-9]$/.test(k)) return { ...e, code: `Digit${k}` };
  if (/^[a-zA-Z]$/.test(k)) return { ...e, code: `Key${k.toUpperCase()}`, shiftKey: e.shiftKey || k !== k.toLowerCase() };
  if (CODE_RE.test(k)) return { ...e, code: k }; // ArrowDown, Enter, Backspace…
  const us = US_KEYS[k];
  return us ? { ...e, code: us[0], shiftKey: e.shiftKey || us[1] } : e;
}

/** The action an event asks for, or null. */
export function actionFor(keymap: Keymap, event: KeyLike & { key?: string }, singleKey = true): Action | null {
  const pressed = bindingOf(withCode(event));
  for (const action of ACTIONS) if ((keymap[action] ?? []).some((b) => effectiveBinding(b, singleKey) === pressed)) return action;
  return null;
}

// --- labels ----------------------------------------------------------------------------------

/** The characters a layout types on each code, unshifted (navigator.keyboard.getLayoutMap()). */
export type LayoutMap = ReadonlyMap<string, string>;

const NAMES: Record<string, string> = {
  ArrowUp: "↑",
  ArrowDown: "↓",
  ArrowLeft: "←",
  ArrowRight: "→",
  Enter: "Enter",
  NumpadEnter: "Enter",
  Backspace: "Backspace",
  Delete: "Del",
  Space: "Space",
  Minus: "-",
  Equal: "=",
  BracketLeft: "[",
  BracketRight: "]",
  Semicolon: ";",
  Quote: "'",
  Backquote: "`",
  Backslash: "\\",
  Comma: ",",
  Period: ".",
  Slash: "/",
  NumpadAdd: "+",
  NumpadSubtract: "−",
};
const MOD_LABEL: Record<string, string> = { Ctrl: "Ctrl+", Alt: "Alt+", Shift: "⇧", Meta: "⌘" };

/** The key cap of a code: digits as digits (printed on every layout's key), others as the layout types them. */
export function codeLabel(code: string, layout?: LayoutMap | null): string {
  let m = /^(?:Digit|Numpad)(\d)$/.exec(code);
  if (m) return code.startsWith("Numpad") ? `Num ${m[1]}` : m[1];
  const typed = layout?.get(code);
  if (typed && typed.trim()) return typed.length === 1 ? typed.toLowerCase() : typed;
  m = /^Key([A-Z])$/.exec(code);
  if (m) return m[1].toLowerCase();
  return NAMES[code] ?? code;
}

/** A binding as the user reads it: "1", "⇧1", "Alt+q". Shift+Slash is "?" on a layout without a map. */
export function bindingLabel(binding: string, layout?: LayoutMap | null): string {
  const parts = binding.split("+");
  const code = parts.pop() ?? "";
  if (!layout && code === "Slash" && parts.length === 1 && parts[0] === "Shift") return "?";
  return parts.map((p) => MOD_LABEL[p] ?? `${p}+`).join("") + codeLabel(code, layout);
}

/** The label of an action's first key as it acts now ("" when it has none). */
export function actionLabel(keymap: Keymap, action: Action, singleKey = true, layout?: LayoutMap | null): string {
  const first = keymap[action]?.[0];
  return first ? bindingLabel(effectiveBinding(first, singleKey), layout) : "";
}

let layoutCache: LayoutMap | null = null;

/** The layout's map where the browser has one (Chromium), else null (labels fall back to the codes' defaults). */
export async function loadLayoutMap(): Promise<LayoutMap | null> {
  if (layoutCache) return layoutCache;
  const kb = (navigator as Navigator & { keyboard?: { getLayoutMap?: () => Promise<LayoutMap> } }).keyboard;
  try {
    layoutCache = kb?.getLayoutMap ? await kb.getLayoutMap() : null;
  } catch {
    layoutCache = null;
  }
  return layoutCache;
}
