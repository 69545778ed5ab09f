"""Pure: an annotator's preferences and their rules (the same as ``frontend/src/keymap.ts``).

Language, theme, single-key shortcuts on/off and key remaps. A key binding names a physical key
by its ``KeyboardEvent.code`` (``Digit1``, ``KeyA``, ``Numpad1``, ``ArrowDown``…), optionally
after modifiers (``Alt+Digit1``, ``Shift+Slash``), so that a layout that types ``&`` on the
``Digit1`` key (AZERTY) still chooses option 1. ``check_preferences`` returns the problems of a
body by field path; nothing of a body with problems is saved.
"""

from __future__ import annotations

import re
from typing import Any

LANGUAGES = ("", "en", "zh-CN")  # "": the browser's language
THEMES = ("system", "light", "dark", "high-contrast")
MAX_OPTION_KEYS = 20  # option.1 … option.20: digits 1–9, 0, then Shift+digit

ACTIONS = (
    *(f"option.{n}" for n in range(1, MAX_OPTION_KEYS + 1)),
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
)

_CODE = (
    r"Digit[0-9]|Numpad[0-9]|Key[A-Z]|F(?:[1-9]|1[0-2])|Arrow(?:Up|Down|Left|Right)|Enter|NumpadEnter|"
    r"Backspace|Delete|Space|Minus|Equal|BracketLeft|BracketRight|Semicolon|Quote|Backquote|Backslash|"
    r"Comma|Period|Slash|IntlBackslash|NumpadAdd|NumpadSubtract|Home|End|PageUp|PageDown|Insert"
)
BINDING = re.compile(rf"^(?:(?:Ctrl|Alt|Shift|Meta)\+)*(?:{_CODE})$")
MAX_BINDINGS = 4  # per action


def normal_binding(binding: str) -> str:
    """Modifiers in one order (Ctrl, Alt, Shift, Meta), each once: ``Shift+Alt+KeyA`` → ``Alt+Shift+KeyA``."""
    *mods, code = binding.split("+")
    order = [m for m in ("Ctrl", "Alt", "Shift", "Meta") if m in mods]
    return "+".join([*order, code])


def check_keymap(keymap: Any) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The remaps, cleaned, and their problems by field path (``keymap.<action>``)."""
    problems: dict[str, str] = {}
    if not isinstance(keymap, dict):
        return {}, {"keymap": "Must be an object from action to a list of keys."}
    clean: dict[str, list[str]] = {}
    for action, bindings in keymap.items():
        path = f"keymap.{action}"
        if action not in ACTIONS:
            problems[path] = (
                f"Unknown action {str(action)[:60]!r}; known: {', '.join(ACTIONS[-21:])}, option.1…option.20."
            )
            continue
        if not isinstance(bindings, list) or len(bindings) > MAX_BINDINGS:
            problems[path] = f"Must be a list of at most {MAX_BINDINGS} keys (an empty list: no key)."
            continue
        out: list[str] = []
        for i, b in enumerate(bindings):
            if not isinstance(b, str) or not BINDING.match(b) or len(set(b.split("+")[:-1])) != b.count("+"):
                problems[f"{path}[{i}]"] = (
                    f"Unknown key {str(b)[:60]!r}: name a KeyboardEvent.code such as Digit1 or KeyA, "
                    "with Ctrl+/Alt+/Shift+ before it."
                )
                continue
            nb = normal_binding(b)
            if nb not in out:
                out.append(nb)
        clean[action] = out
    return clean, problems


def conflicts(keymap: dict[str, list[str]], defaults: dict[str, list[str]]) -> dict[str, str]:
    """Two actions on one key (after the remaps over the defaults): a problem on the remapped action."""
    effective = {**defaults, **keymap}
    owner: dict[str, str] = {}
    problems: dict[str, str] = {}
    for action in ACTIONS:
        for b in effective.get(action, []):
            other = owner.get(b)
            if other and other != action:
                blame = action if action in keymap else other
                problems[f"keymap.{blame}"] = f"{b} is already the key of {other if blame == action else action}."
            else:
                owner[b] = action
    return problems


def default_keymap() -> dict[str, list[str]]:
    """The default keys (the table in docs/annotator-app.md)."""
    digits = [f"Digit{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0)]
    numpad = [f"Numpad{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0)]
    keys: dict[str, list[str]] = {}
    for i in range(10):
        keys[f"option.{i + 1}"] = [digits[i], numpad[i]]
        keys[f"option.{i + 11}"] = [f"Shift+{digits[i]}"]
    keys.update(
        {
            "next": ["ArrowDown", "KeyJ"],
            "previous": ["ArrowUp", "KeyK"],
            "option-next": ["ArrowRight"],
            "option-previous": ["ArrowLeft"],
            "clear": ["Backspace", "Delete"],
            "next-unanswered": ["KeyN"],
            "accept": ["KeyA"],
            "submit": ["Enter", "NumpadEnter"],
            "skip": ["KeyS"],
            "help": ["Shift+Slash", "Slash"],
            "instructions": ["KeyI"],
            "play": ["Space"],
            "frame-previous": ["Comma"],
            "frame-next": ["Period"],
            "slower": ["BracketLeft"],
            "faster": ["BracketRight"],
            "loop": ["KeyL"],
            "zoom-in": ["Equal", "Shift+Equal", "NumpadAdd"],
            "zoom-out": ["Minus", "NumpadSubtract"],
            "fit": ["KeyZ"],
        }
    )
    return keys


def check_preferences(body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """A (partial) preferences body, cleaned, and its problems by field."""
    if not isinstance(body, dict):
        return {}, {"": "Send an object of preferences."}
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    known = {"language", "theme", "single_key_shortcuts", "keymap"}
    for name in body:
        if name not in known:
            problems[str(name)[:60]] = f"Unknown preference; known: {', '.join(sorted(known))}."
    if "language" in body:
        if body["language"] not in LANGUAGES:
            problems["language"] = "One of: en, zh-CN, or empty for the browser's language."
        else:
            clean["language"] = body["language"]
    if "theme" in body:
        if body["theme"] not in THEMES:
            problems["theme"] = f"One of: {', '.join(THEMES)}."
        else:
            clean["theme"] = body["theme"]
    if "single_key_shortcuts" in body:
        if not isinstance(body["single_key_shortcuts"], bool):
            problems["single_key_shortcuts"] = "Must be true or false."
        else:
            clean["single_key_shortcuts"] = body["single_key_shortcuts"]
    if "keymap" in body:
        keymap, keymap_problems = check_keymap(body["keymap"])
        problems.update(keymap_problems)
        if not keymap_problems:
            problems.update(conflicts(keymap, default_keymap()))
            clean["keymap"] = keymap
    return clean, problems
