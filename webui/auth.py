"""Staff login for the Documents tab's actions (upload, edit, remove, re-index).

The password is never stored: the setting `MSRA_STAFF_PASSWORD_HASH` holds a salted
scrypt hash (`scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`), made with
`python -m webui.auth`. A login belongs to one page session (Gradio's session hash, which
the browser makes at random when the page opens); reloading the page logs out. Attempts
are limited per client address, so a password cannot be guessed at speed. Neither the
password nor the hash is ever logged. Reading and asking need no login.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import ipaddress
import secrets
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass

from assistant.errors import ConfigError

ATTEMPTS_PER_MINUTE = 5
"""Failed or not, at most this many login attempts per client address in any 60 seconds."""
SESSION_HOURS = 12
"""A login lasts this long (or until the page is reloaded)."""
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
HASH_SETTING = "MSRA_STAFF_PASSWORD_HASH"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """The setting's value for `password`: a random salt and scrypt's hash of the two."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def _parse(stored: str) -> tuple[dict[str, int], bytes, bytes]:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            raise ValueError(kind)
        return {"n": int(n), "r": int(r), "p": int(p)}, bytes.fromhex(salt), bytes.fromhex(digest)
    except ValueError:
        raise ConfigError(
            f"The setting {HASH_SETTING} is not a password hash made by this app. "
            "Make one with `python -m webui.auth` and set the line it prints."
        ) from None


def check_password(password: str, stored: str) -> bool:
    cost, salt, digest = _parse(stored)
    tried = hashlib.scrypt(password.encode(), salt=salt, dklen=len(digest), **cost)
    return hmac.compare_digest(tried, digest)


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_login_setting(host: str, password_hash: str) -> None:
    """Refuse, in words, to open the Documents tab's actions to a network without a login."""
    if password_hash:
        _parse(password_hash)
        return
    if not is_loopback(host):
        raise ConfigError(
            f"The app is set to listen on {host}, which other computers can reach, but no staff "
            "password is set, so anyone could change the library. Run `python -m webui.auth`, "
            f"type a password for staff, and set the {HASH_SETTING}=... line it prints in the "
            "environment before starting the app (or listen on 127.0.0.1 only)."
        )


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str
    """A label key: logged_in, wrong_password, too_many_attempts or no_password."""
    wait_seconds: int = 0


class StaffLogin:
    """Who may change the library: everyone when no password is set (loopback only, see
    `require_login_setting`), else the page sessions that gave the password."""

    def __init__(self, password_hash: str) -> None:
        self._hash = password_hash
        self._sessions: dict[str, float] = {}
        self._attempts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def required(self) -> bool:
        return bool(self._hash)

    def allows(self, session: str | None) -> bool:
        if not self.required:
            return True
        with self._lock:
            until = self._sessions.get(session or "")
        return until is not None and until > time.monotonic()

    def login(self, client: str, session: str | None, password: str) -> LoginResult:
        if not self.required:
            return LoginResult(True, "logged_in")
        now = time.monotonic()
        with self._lock:
            recent = self._attempts.setdefault(client, deque())
            while recent and recent[0] <= now - 60:
                recent.popleft()
            if len(recent) >= ATTEMPTS_PER_MINUTE:
                return LoginResult(False, "too_many_attempts", int(recent[0] + 60 - now) + 1)
            recent.append(now)
        if not session or not check_password(password or "", self._hash):
            return LoginResult(False, "wrong_password")
        with self._lock:
            self._sessions[session] = now + SESSION_HOURS * 3600
        return LoginResult(True, "logged_in")

    def logout(self, session: str | None) -> None:
        with self._lock:
            self._sessions.pop(session or "", None)


def main() -> int:
    """Ask for a staff password twice and print the setting that holds its hash."""
    password = getpass.getpass("Staff password (at least 10 characters): ")
    if len(password) < 10:
        print("Error: use at least 10 characters.", file=sys.stderr)
        return 2
    if getpass.getpass("The same password again: ") != password:
        print("Error: the two passwords differ. Nothing was made.", file=sys.stderr)
        return 2
    print(f"{HASH_SETTING}='{hash_password(password)}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
