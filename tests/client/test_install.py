"""`pip install ./client` works on its own: the package builds into a wheel (offline, no build
isolation), installs into a fresh virtualenv, and its `vr` command starts from there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[2] / "client"


def test_the_client_installs_into_a_fresh_venv_and_vr_help_runs(tmp_path):
    source = tmp_path / "client"  # a copy: building in place would leave build/ in the checkout
    shutil.copytree(CLIENT, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*build, "-w", str(wheels), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("visionreward_client-*.whl")

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=300)
    # its dependencies (httpx, rich) from this environment's site-packages: the test has no network
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    helped = subprocess.run([fresh / "bin" / "vr", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert "usage: vr" in helped.stdout and "export" in helped.stdout and "Exit codes" in helped.stdout
    where = subprocess.check_output(
        [
            python,
            "-c",
            "import visionreward_client as v, pathlib; print(v.__version__, pathlib.Path(v.__file__).parent)",
        ],
        text=True,
    ).split()
    assert where[0] == "0.1.0" and Path(where[1]).is_relative_to(fresh) and (Path(where[1]) / "py.typed").is_file()
    usage = subprocess.run([fresh / "bin" / "vr", "export"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "--project" in usage.stderr
