"""One of the project's modules run in a short child process (``python -m MODULE``), so that
the wall never imports what it needs only once: the map page's builder (folium) and the site
config's check (pydantic). Pure: no Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The folder that holds cockpit/ and maps/ (a checkout, or site-packages): on the child's
#: PYTHONPATH, so the module is found however the wall was started.
ROOT = Path(__file__).resolve().parents[2]


def run_module(module: str, *args: str, input: bytes | None = None,
               timeout: float) -> subprocess.CompletedProcess[bytes]:
    """``python -m module args`` with this interpreter; its output as bytes, whatever its
    exit status (raises OSError if it cannot start, TimeoutExpired past ``timeout``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", module, *args], input=input,
                          stdin=subprocess.DEVNULL if input is None else None,
                          capture_output=True, env=env, timeout=timeout, check=False)


def last_error(done: subprocess.CompletedProcess[bytes]) -> str | None:
    """The child's last non-blank line of errors, if it wrote any."""
    lines = [line for line in done.stderr.decode("utf-8", "replace").splitlines()
             if line.strip()]
    return lines[-1] if lines else None
