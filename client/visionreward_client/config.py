"""Where the server URL and token come from, first found wins: the arguments, the environment
(``VR_URL``, ``VR_TOKEN``), then the file ``vr login`` writes: ``$VR_CONFIG``, else
``$XDG_CONFIG_HOME/visionreward/config.toml`` (``~/.config/visionreward/config.toml``), mode 0600."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None  # type: ignore[assignment]

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Settings:
    url: str
    token: str | None


def config_path() -> Path:
    if os.environ.get("VR_CONFIG"):
        return Path(os.environ["VR_CONFIG"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "visionreward" / "config.toml"


def read_file(path: Path | None = None) -> dict[str, str]:
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if tomllib is not None:
        data = tomllib.loads(text)
    else:  # the two lines this module writes: key = "value"
        data = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                data[key.strip()] = json.loads(value.strip())
    return {k: v for k, v in data.items() if k in ("url", "token") and isinstance(v, str)}


def write_file(url: str, token: str, path: Path | None = None) -> Path:
    """Save the URL and token for later commands, readable by this user only (0600)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # JSON strings are TOML basic strings (ASCII escapes), so json.dumps quotes them safely
    text = f"# written by `vr login`\nurl = {json.dumps(url, ensure_ascii=True)}\ntoken = {json.dumps(token)}\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_file(path: Path | None = None) -> bool:
    path = path or config_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def resolve(url: str | None = None, token: str | None = None, path: Path | None = None) -> Settings:
    saved = read_file(path)
    url = (url or os.environ.get("VR_URL") or saved.get("url") or DEFAULT_URL).rstrip("/")
    if not token and not os.environ.get("VR_TOKEN") and saved.get("url", "").rstrip("/") == url:
        token = saved.get("token")  # the saved token goes only to the server it was saved for
    return Settings(url=url, token=token or os.environ.get("VR_TOKEN") or None)
