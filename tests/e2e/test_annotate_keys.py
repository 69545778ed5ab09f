"""An annotate screen for every keyboard and every annotator, in a real browser: a full image
checklist annotated with an AZERTY layout (keys matched by their physical code, hints labelled as
the layout types them), with remapped keys (set on the preferences screen, a conflict refused),
and with single-key shortcuts turned off (Alt + key, and the mouse); and no serious axe violation
on the projects, annotate and preferences screens in the light, dark and high-contrast themes, in English
and in Simplified Chinese. Answers and preferences are checked in the database."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotator.models import Annotation, UserPreferences
from tests.e2e.fixtures import login, make_user, screenshot
from tests.e2e.test_annotate import best_options, new_project, wait_all_landed_or_finished, wait_task_shown
from tests.e2e.test_review_manage import check_accessibility

pytestmark = pytest.mark.django_db(transaction=True)

# French AZERTY: what each physical key types unshifted (the digit row types symbols; digits need
# Shift), as navigator.keyboard.getLayoutMap() reports it on such a keyboard.
AZERTY = {
    "Digit1": "&",
    "Digit2": "é",
    "Digit3": '"',
    "Digit4": "'",
    "Digit5": "(",
    "Digit6": "-",
    "Digit7": "è",
    "Digit8": "_",
    "Digit9": "ç",
    "Digit0": "à",
    "KeyQ": "a",
    "KeyA": "q",
    "KeyW": "z",
    "KeyZ": "w",
    "KeyM": ",",
    "Semicolon": "m",
    "Comma": ";",
    "Slash": "!",
    "KeyN": "n",
    "KeyI": "i",
    "KeyS": "s",
}

AZERTY_LAYOUT_SCRIPT = (
    "(() => { const map = new Map(Object.entries(%s));"
    " Object.defineProperty(navigator, 'keyboard', {configurable: true, value: {getLayoutMap: async () => map}}); })()"
)


def press_azerty(page, code: str, *, shift: bool = False) -> None:
    """What an AZERTY keyboard sends for a physical key: its code, and the character the layout types."""
    key = {"Enter": "Enter", "ArrowUp": "ArrowUp", "ArrowDown": "ArrowDown"}.get(code, AZERTY.get(code, ""))
    if shift and code.startswith("Digit"):
        key = code[-1]  # Shift + the "&" key types 1 on AZERTY
    elif shift and code == "Slash":
        key = "§"
    page.evaluate(
        """([code, key, shift]) => {
          const target = document.activeElement || document.body;
          const init = {code, key, shiftKey: shift, bubbles: true, cancelable: true};
          for (const type of ['keydown', 'keyup']) target.dispatchEvent(new KeyboardEvent(type, init));
        }""",
        [code, key, shift],
    )


def annotator_with_one_image(add_asset):
    """ann, annotator of a new image project (the full image checklist) with one image: (ann, project, asset)."""
    ann = make_user("ann")
    p = new_project("image", ann)
    return ann, p, add_asset(p, "test1.jpg", "a red fox in the snow")


def chosen(page, sub_key: str) -> str:
    return page.get_by_test_id(f"row-{sub_key}").get_attribute("data-chosen")


def test_full_image_checklist_with_an_azerty_layout(page, context, add_asset):
    ann, p, asset = annotator_with_one_image(add_asset)
    checklist = p.checklist_version.checklist
    subs = checklist.sub_dimensions
    context.add_init_script(AZERTY_LAYOUT_SCRIPT % __import__("json").dumps(AZERTY))
    login(page, "ann")
    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)

    # the hints label the keys as this layout types them: the physical Z key types "w" (fit)
    press_azerty(page, "Slash", shift=True)  # the help key: Shift + the "!" key
    expect(page.get_by_test_id("help")).to_contain_text("w")
    expect(page.get_by_test_id("help").locator("kbd", has_text="q")).to_have_count(1)  # accept: the A key types q
    press_azerty(page, "Slash", shift=True)
    expect(page.get_by_test_id("help")).to_have_count(0)

    # the skip dialog's reasons by the same physical digit keys: "é" (Digit2) picks reason 2
    press_azerty(page, "KeyS")
    dialog = page.get_by_test_id("skip-dialog")
    expect(dialog).to_be_visible()
    press_azerty(page, "Digit2")
    expect(dialog.get_by_role("radio").nth(1)).to_be_checked()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # the unshifted "é" key (Digit2) chooses option 2; ↑ goes back; "&" (Digit1) chooses option 1
    press_azerty(page, "Digit2")
    assert chosen(page, subs[0].key) == str(subs[0].options[1].code)
    press_azerty(page, "ArrowUp")
    for i, _ in enumerate(subs):
        # unshifted "&", or Shift + "&" (which types 1 on AZERTY): option 1 either way, as no
        # sub-dimension here has 11 options
        press_azerty(page, "Digit1", shift=i % 2 == 1)
    expect(page.get_by_test_id("answered-count")).to_have_text(f"{len(subs)}/{len(subs)} answered")
    screenshot(page, "keys-01-azerty")
    press_azerty(page, "Enter")
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    wait_all_landed_or_finished(page)
    annotation = Annotation.objects.get(task__asset=asset)
    assert annotation.options == best_options(checklist)


def test_full_image_checklist_with_remapped_keys(page, add_asset):
    ann, p, asset = annotator_with_one_image(add_asset)
    checklist = p.checklist_version.checklist
    subs = checklist.sub_dimensions
    login(page, "ann")
    page.get_by_role("link", name="Preferences").click()
    expect(page.get_by_role("heading", name="Preferences")).to_be_visible()

    # a key another action has is refused, naming that action
    page.get_by_role("button", name="Change the key of Option 2", exact=True).click()
    page.keyboard.press("a")
    expect(page.get_by_role("alert")).to_contain_text("already the key of Accept the pre-fill")

    page.get_by_role("button", name="Change the key of Option 1", exact=True).click()
    expect(page.get_by_test_id("keymap-option.1")).to_contain_text("Press a key")
    page.keyboard.press("q")
    expect(page.get_by_role("status").filter(has_text="Preferences saved.")).to_be_visible()
    expect(page.get_by_test_id("keymap-option.1").locator("kbd")).to_have_text(["q"])
    page.get_by_role("button", name="Change the key of Submit").click()
    expect(page.get_by_test_id("keymap-submit")).to_contain_text("Press a key")
    page.keyboard.press("g")
    expect(page.get_by_test_id("keymap-submit").locator("kbd")).to_have_text(["g"])
    screenshot(page, "keys-02-remap")
    prefs = UserPreferences.objects.get(user=ann)
    assert prefs.keymap == {"option.1": ["KeyQ"], "submit": ["KeyG"]}

    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)
    first = page.get_by_test_id(f"row-{subs[0].key}")
    expect(first.locator("kbd").first).to_have_text("q")  # the option's hint is the new key
    page.keyboard.press("1")  # no longer option 1's key
    assert chosen(page, subs[0].key) == ""
    for _ in subs:
        page.keyboard.press("q")
    expect(page.get_by_test_id("answered-count")).to_have_text(f"{len(subs)}/{len(subs)} answered")
    page.keyboard.press("Enter")  # Enter is no longer submit
    expect(page.get_by_test_id("annotate")).to_be_visible()
    page.keyboard.press("g")
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    wait_all_landed_or_finished(page)
    assert Annotation.objects.get(task__asset=asset).options == best_options(checklist)

    # reset: the defaults are back
    page.goto("/account/preferences")
    page.get_by_test_id("reset-keys").click()
    expect(page.get_by_test_id("keymap-option.1").locator("kbd")).to_have_text(["1", "Num 1"])
    assert UserPreferences.objects.get(user=ann).keymap == {}


def test_full_image_checklist_with_single_key_shortcuts_off(page, add_asset):
    ann, p, asset = annotator_with_one_image(add_asset)
    checklist = p.checklist_version.checklist
    subs = checklist.sub_dimensions
    login(page, "ann")
    page.goto("/account/preferences")
    page.get_by_test_id("single-key").uncheck()
    expect(page.get_by_role("status").filter(has_text="Preferences saved.")).to_be_visible()
    expect(page.get_by_test_id("keymap-option.1").locator("kbd")).to_have_text(["Alt+1", "Alt+Num 1"])
    assert UserPreferences.objects.get(user=ann).single_key_shortcuts is False

    page.goto(f"/projects/{p.pk}/annotate")
    wait_task_shown(page)
    expect(page.get_by_test_id("key-hints")).to_contain_text("Alt+1")
    page.keyboard.press("1")  # a single character key does nothing now
    page.keyboard.press("s")  # nor does skip's
    assert chosen(page, subs[0].key) == ""
    expect(page.get_by_test_id("skip-dialog")).to_have_count(0)
    half = len(subs) // 2
    for _ in range(half):
        page.keyboard.press("Alt+1")  # with Alt it acts
    assert chosen(page, subs[0].key) == str(subs[0].options[0].code)
    for sub in subs[half:]:  # the rest by mouse
        row = page.get_by_test_id(f"row-{sub.key}")
        row.get_by_role("radio").first.click()
    expect(page.get_by_test_id("answered-count")).to_have_text(f"{len(subs)}/{len(subs)} answered")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("no-more-tasks")).to_be_visible()
    wait_all_landed_or_finished(page)
    assert Annotation.objects.get(task__asset=asset).options == best_options(checklist)


def test_axe_in_every_theme_and_both_languages(page, add_asset):
    ann, p, _ = annotator_with_one_image(add_asset)
    login(page, "ann")
    for language, heading, projects in (("en", "Preferences", "Your projects"), ("zh-CN", "偏好设置", "你的项目")):
        for theme in ("light", "dark", "high-contrast"):
            UserPreferences.objects.update_or_create(user=ann, defaults={"language": language, "theme": theme})
            page.goto("/projects")
            expect(page.get_by_role("heading", name=projects)).to_be_visible()
            check_accessibility(page, f"the projects screen ({theme}, {language})")
            page.goto("/account/preferences")
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
            check_accessibility(page, f"the preferences screen ({theme}, {language})")
            page.goto(f"/projects/{p.pk}/annotate")
            wait_task_shown(page)
            expect(page.locator("html")).to_have_attribute("data-theme", theme)
            if language == "zh-CN":
                expect(page.get_by_test_id("submit")).to_contain_text("提交")
                # the built-in image checklist's own zh-CN texts (translations: in its file)
                expect(page.get_by_role("radiogroup", name="对称性")).to_be_visible()
                expect(page.get_by_role("radio", name="对称", exact=True)).to_be_visible()
            check_accessibility(page, f"the annotate screen ({theme}, {language})")
            screenshot(page, f"keys-03-annotate-{theme}-{language}")
