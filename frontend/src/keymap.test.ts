import { describe, expect, it } from "vitest";
import {
  actionFor,
  actionLabel,
  bindingLabel,
  conflicts,
  defaultKeymap,
  normalBinding,
  remap,
  resetKeys,
  withOverrides,
  type KeyLike,
} from "./keymap";

const key = (code: string, mods: Partial<KeyLike> = {}): KeyLike => ({
  code,
  altKey: false,
  ctrlKey: false,
  shiftKey: false,
  metaKey: false,
  ...mods,
});

// What AZERTY (French) types on these physical keys, unshifted: the digit row types symbols.
const AZERTY = new Map([
  ["Digit1", "&"],
  ["Digit2", "é"],
  ["Digit3", '"'],
  ["KeyQ", "a"],
  ["KeyA", "q"],
  ["KeyW", "z"],
  ["KeyZ", "w"],
  ["KeyM", ","],
  ["Slash", "!"],
]);

describe("keymap", () => {
  it("matches the physical key, so AZERTY's unshifted digit row chooses options", () => {
    const keys = defaultKeymap();
    // AZERTY: the key that types "&" is Digit1, "é" is Digit2 — no Shift needed
    expect(actionFor(keys, key("Digit1"))).toBe("option.1");
    expect(actionFor(keys, key("Digit2"))).toBe("option.2");
    expect(actionFor(keys, key("Numpad3"))).toBe("option.3");
    expect(actionFor(keys, key("KeyA"))).toBe("accept");
    expect(actionFor(keys, key("ArrowDown"))).toBe("next");
    expect(actionFor(keys, key("KeyX"))).toBeNull();
    // a Ctrl combination is the browser's, not ours
    expect(actionFor(keys, key("Digit1", { ctrlKey: true }))).toBeNull();
  });

  it("gives an event without a code the code of its key on a US layout", () => {
    const keys = defaultKeymap();
    expect(actionFor(keys, { ...key(""), key: "?" })).toBe("help");
    expect(actionFor(keys, { ...key("Unidentified"), key: "3" })).toBe("option.3");
    expect(actionFor(keys, { ...key(""), key: "ArrowDown" })).toBe("next");
  });

  it("gives more than 9 options a scheme: 1–9, 0, then Shift + 1–9, 0", () => {
    const keys = defaultKeymap();
    expect(actionFor(keys, key("Digit9"))).toBe("option.9");
    expect(actionFor(keys, key("Digit0"))).toBe("option.10");
    expect(actionFor(keys, key("Digit1", { shiftKey: true }))).toBe("option.11");
    expect(actionFor(keys, key("Digit0", { shiftKey: true }))).toBe("option.20");
    expect(actionLabel(keys, "option.10")).toBe("0");
    expect(actionLabel(keys, "option.12")).toBe("⇧2");
  });

  it("labels keys as the layout types them, digits as digits", () => {
    const keys = defaultKeymap();
    expect(actionLabel(keys, "option.1", true, AZERTY)).toBe("1");
    expect(actionLabel(keys, "accept", true, AZERTY)).toBe("q"); // the physical A key types q on AZERTY
    expect(actionLabel(keys, "accept")).toBe("a");
    expect(actionLabel(keys, "help")).toBe("?");
    expect(actionLabel(keys, "help", true, AZERTY)).toBe("⇧!");
    expect(bindingLabel("Alt+KeyW", AZERTY)).toBe("Alt+z");
  });

  it("remaps a key, refuses one another action has, and resets", () => {
    let result = remap({}, "option.1", "KeyQ");
    expect(result.conflict).toBeNull();
    let keys = withOverrides(result.overrides);
    expect(actionFor(keys, key("KeyQ"))).toBe("option.1");
    expect(actionFor(keys, key("Digit1"))).toBeNull(); // a remapped action has only its new key

    result = remap(result.overrides, "option.2", "KeyA"); // accept's
    expect(result.conflict).toBe("accept");
    expect(result.overrides).toEqual({ "option.1": ["KeyQ"] });

    // free accept's key first, then it may be taken
    const moved = remap(remap(result.overrides, "accept", "KeyY").overrides, "option.2", "KeyA");
    expect(moved.conflict).toBeNull();
    keys = withOverrides(moved.overrides);
    expect(actionFor(keys, key("KeyA"))).toBe("option.2");
    expect(actionFor(keys, key("KeyY"))).toBe("accept");

    expect(resetKeys(moved.overrides, "accept")).toEqual({ "option.1": ["KeyQ"], "option.2": ["KeyA"] });
    expect(resetKeys(moved.overrides)).toEqual({});
  });

  it("finds conflicts in a keymap, and spells bindings one way", () => {
    expect(conflicts(defaultKeymap()).size).toBe(0);
    const clash = conflicts(withOverrides({ skip: ["KeyA"] }));
    expect(clash.get("KeyA")).toEqual(["accept", "skip"]);
    expect(normalBinding("Shift+Alt+KeyQ")).toBe("Alt+Shift+KeyQ");
    expect(normalBinding("Alt+Alt+KeyQ")).toBeNull();
    expect(normalBinding("Digit!")).toBeNull();
  });

  it("with single-key shortcuts off, character keys need Alt; arrows and Enter stay", () => {
    const keys = defaultKeymap();
    expect(actionFor(keys, key("Digit1"), false)).toBeNull();
    expect(actionFor(keys, key("KeyA"), false)).toBeNull();
    expect(actionFor(keys, key("Digit1", { altKey: true }), false)).toBe("option.1");
    expect(actionFor(keys, key("Digit1", { altKey: true, shiftKey: true }), false)).toBe("option.11");
    expect(actionFor(keys, key("KeyA", { altKey: true }), false)).toBe("accept");
    expect(actionFor(keys, key("ArrowDown"), false)).toBe("next");
    expect(actionFor(keys, key("Enter"), false)).toBe("submit");
    expect(actionLabel(keys, "option.1", false)).toBe("Alt+1");
    expect(conflicts(keys, false).size).toBe(0);
  });
});
