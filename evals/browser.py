"""What the browser tests and the app benchmark share: waiting for `python app.py` to serve,
and starting Chromium (Debian's, headless, offline).

The flags keep Chromium from reaching the network on its own (component updates, sync,
background requests), which this machine refuses anyway, many times over.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Return once `url` answers 200; RuntimeError if the app exits or takes too long."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the app did not answer at {url} within {seconds} s")
