"""An annotator's preferences (/api/me/preferences/): the defaults until changed, a PATCH changes
only the fields sent, every problem is a 400 naming its field with nothing saved, and each user
sees only their own."""

import pytest

from annotator.models import UserPreferences
from tests.factories import api, user

pytestmark = pytest.mark.django_db

URL = "/api/me/preferences/"


def test_defaults_then_a_partial_change_is_kept_with_the_account():
    ann = user("ann")
    body = api(ann).get(URL).json()
    assert body == {"language": "", "theme": "system", "single_key_shortcuts": True, "keymap": {}}

    changed = api(ann).patch(URL, {"language": "zh-CN", "theme": "high-contrast"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["language"] == "zh-CN" and changed.json()["theme"] == "high-contrast"

    remap = {"option.1": ["KeyQ", "Shift+Alt+KeyW"], "next": []}
    changed = api(ann).patch(URL, {"keymap": remap, "single_key_shortcuts": False}, format="json")
    assert changed.status_code == 200, changed.json()
    again = api(ann).get(URL).json()
    assert again == {
        "language": "zh-CN",
        "theme": "high-contrast",
        "single_key_shortcuts": False,
        # modifiers in one order; an empty list unbinds the action
        "keymap": {"option.1": ["KeyQ", "Alt+Shift+KeyW"], "next": []},
    }
    # another user still has the defaults
    assert api(user("bob")).get(URL).json()["theme"] == "system"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"theme": "purple"}, "theme"),
        ({"language": "fr"}, "language"),
        ({"single_key_shortcuts": "yes"}, "single_key_shortcuts"),
        ({"keymap": {"fly": ["KeyF"]}}, "keymap.fly"),
        ({"keymap": {"option.1": ["Digit!"]}}, "keymap.option.1[0]"),
        ({"keymap": {"option.1": ["Alt+Alt+KeyQ"]}}, "keymap.option.1[0]"),
        ({"keymap": {"option.1": "KeyQ"}}, "keymap.option.1"),
        ({"keymap": ["KeyQ"]}, "keymap"),
        ({"keymap": {"option.30": ["KeyQ"]}}, "keymap.option.30"),
        # KeyA is already accept's key
        ({"keymap": {"option.1": ["KeyA"]}}, "keymap.option.1"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_every_problem_names_its_field_and_saves_nothing(body, field):
    ann = user("ann")
    response = api(ann).patch(URL, {"theme": "dark", **body}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert field in response.json()["detail"]
    assert not UserPreferences.objects.filter(user=ann).exists()  # theme: dark was not saved either


def test_a_remap_that_frees_a_default_key_may_take_it():
    ann = user("ann")
    # accept moves to KeyY, so option.1 may take KeyA
    response = api(ann).patch(URL, {"keymap": {"accept": ["KeyY"], "option.1": ["KeyA"]}}, format="json")
    assert response.status_code == 200, response.json()


def test_preferences_need_a_login():
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)


def test_the_server_and_the_browser_know_the_same_actions_keys_and_default_keymap():
    """annotator/preferences.py validates what frontend/src/keymap.ts binds: the same named
    actions, the same key codes, the same defaults (read off the TypeScript source, so the two
    cannot drift apart unnoticed)."""
    import re
    from pathlib import Path

    from annotator import preferences

    source = (Path(__file__).resolve().parents[2] / "frontend" / "src" / "keymap.ts").read_text()
    named = re.search(r"export const NAMED_ACTIONS = \[(.*?)\] as const;", source, re.S).group(1)
    assert [*(f"option.{n}" for n in range(1, 21)), *re.findall(r'"([^"]+)"', named)] == list(preferences.ACTIONS)
    assert int(re.search(r"export const MAX_OPTION_KEYS = (\d+);", source).group(1)) == preferences.MAX_OPTION_KEYS
    codes = re.search(r"const CODE_RE =\s*/\^\((.*?)\)\$/;", source, re.S).group(1)
    assert codes == preferences._CODE.replace("(?:", "(")
    block = re.search(r"Object\.assign\(keys, \{(.*?)\}\);", source, re.S).group(1)
    defaults = {
        key: re.findall(r'"([^"]+)"', keys) for key, keys in re.findall(r'^\s*"?([\w-]+)"?: \[(.*?)\],?$', block, re.M)
    }
    expected = preferences.default_keymap()
    assert defaults == {k: v for k, v in expected.items() if not k.startswith("option.")}
    assert expected["option.1"] == ["Digit1", "Numpad1"] and expected["option.11"] == ["Shift+Digit1"]
    assert "const DIGITS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];" in source  # the option keys, built the same way
    assert "`Shift+Digit${d}`" in source and "`Numpad${d}`" in source
