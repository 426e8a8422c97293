"""How the browser tests and the app benchmark start Chromium: Debian's, headless, offline.

The flags keep Chromium from reaching the network on its own (component updates, sync,
background requests), which this machine refuses anyway, many times over.
"""

from __future__ import annotations

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
