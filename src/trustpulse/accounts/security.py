"""The security switch for the single local user: the password, signed login sessions, the key
that signs them, and the same-site rule for writes (docs/dashboard.md, "Access").

Security is on when `settings.dashboard_password` is set; `build_guard` then returns the
`Guard` that `actors.current_actor` asks about every request. Off, there is no guard and every
request runs as the local user (the embedded demo). Users and roles come with accounts later.

- A session is `payload.signature` (both base64url): the payload is JSON `{"sub", "exp"}`
  (expiry in Unix seconds, `session_hours` after login, not renewed), the signature its
  HMAC-SHA256. The signing key is derived from the secret key *and* the password, so changing
  the password ends every session.
- The secret key is `TRUSTPULSE_SECRET_KEY`; while it is the development default, a random key
  is generated once into `<home>/secret_key` (mode 0600) and kept, so logins survive restarts
  and every worker process signs alike. Production refuses the default (config.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request

from trustpulse.clock import utcnow
from trustpulse.config import DEV_SECRET_KEY, Settings
from trustpulse.errors import ConfigError, ForbiddenError, TrustPulseError

logger = logging.getLogger(__name__)

SESSION_COOKIE = "tp_session"
KEY_FILE = "secret_key"
_KEY_MIN_CHARS = 32
_SUBJECT = "local"  # the one local user until accounts land
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = frozenset({80, 443})


class LoginRequiredError(TrustPulseError):
    """No valid session or password came with a request that needs one (security is on)."""

    status_code, code = 401, "login_required"


class TooManyAttemptsError(TrustPulseError):
    """An address sent too many wrong passwords (LoginThrottle): it must wait."""

    status_code, code = 429, "too_many_attempts"


class CrossSiteRequestError(ForbiddenError):
    code = "cross_site_request"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Raises ValueError (binascii.Error) for anything that is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Guard:
    """What a request must show while security is on: the password or a session signed here."""

    password: bytes = field(repr=False)
    key: bytes = field(repr=False)
    lifetime: timedelta
    secure_cookie: bool  # production: the session cookie is sent over HTTPS only

    def password_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8"), self.password)

    def _sign(self, payload: str) -> str:
        return _b64encode(hmac.new(self.key, payload.encode("ascii"), hashlib.sha256).digest())

    def issue_session(self) -> str:
        """A session token for the local user, valid for `lifetime` from now (clock.utcnow)."""
        expires = int((utcnow() + self.lifetime).timestamp())
        body = json.dumps({"sub": _SUBJECT, "exp": expires}, separators=(",", ":"))
        payload = _b64encode(body.encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def session_is_valid(self, token: str | None) -> bool:
        """Signed here, unchanged and not expired; anything malformed is simply not valid."""
        if not token or token.count(".") != 1:
            return False
        payload, signature = token.split(".")
        try:
            expected = self._sign(payload)
        except UnicodeEncodeError:
            return False
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8")):
            return False
        try:
            claims = json.loads(_b64decode(payload))
        except (ValueError, UnicodeDecodeError):
            return False
        if not isinstance(claims, dict) or claims.get("sub") != _SUBJECT:
            return False
        expires = claims.get("exp")
        return isinstance(expires, int) and utcnow().timestamp() < expires

    def basic_auth_is_valid(self, authorization: str | None) -> bool:
        """`Authorization: Basic base64(user:password)` with the password; any user name."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        _user, colon, password = decoded.partition(":")
        return bool(colon) and self.password_matches(password)

    def admits(self, request: Request, throttle: LoginThrottle) -> bool:
        """The request carries a valid session cookie or the password by HTTP Basic. Wrong
        Basic passwords count against the address like wrong ones in the login form; a locked
        out address is TooManyAttemptsError whatever it sends (sessions still pass)."""
        if self.session_is_valid(request.cookies.get(SESSION_COOKIE)):
            return True
        header = request.headers.get("authorization")
        if not header:
            return False
        client = request.client.host if request.client else "unknown"
        wait = throttle.retry_after(client)
        if wait is not None:
            raise TooManyAttemptsError(
                "too many wrong passwords from this address: try again later",
                retry_after_seconds=math.ceil(wait.total_seconds()),
            )
        if self.basic_auth_is_valid(header):
            return True
        throttle.failed(client)
        return False


class LoginThrottle:
    """Wrong passwords per client address: after `MAX_FAILURES` within `WINDOW`, the address
    may not try again until the oldest of them is `WINDOW` old (the right password included),
    so a password cannot be guessed at request speed. Kept in this process's memory: each
    uvicorn worker counts its own, and a restart forgets."""

    MAX_FAILURES = 5
    WINDOW = timedelta(minutes=15)

    def __init__(self) -> None:
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] >= self.WINDOW:
            times.popleft()
        return times

    def retry_after(self, client: str) -> timedelta | None:
        """None while `client` may try; else how long until it may."""
        now = utcnow()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.MAX_FAILURES:
                return None
            return times[0] + self.WINDOW - now

    def failed(self, client: str) -> None:
        now = utcnow()
        with self._lock:
            self._recent(client, now).append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def build_guard(settings: Settings) -> Guard | None:
    """The guard while security is on, else None. Reads (or creates) the key file when the
    secret key is the default; raises ConfigError for an unusable key file."""
    if settings.dashboard_password is None:
        return None
    password = settings.dashboard_password.get_secret_value().encode("utf-8")
    secret = settings.secret_key.get_secret_value()
    if secret == DEV_SECRET_KEY:
        secret = kept_secret(settings.home / KEY_FILE)
    key = hmac.new(
        secret.encode("utf-8"), b"trustpulse-session\x00" + password, hashlib.sha256
    ).digest()
    return Guard(
        password=password,
        key=key,
        lifetime=timedelta(hours=settings.session_hours),
        secure_cookie=settings.environment == "production",
    )


def kept_secret(path: Path) -> str:
    """The random key kept in `path`, generated on first use (mode 0600). Raises ConfigError
    when the file is readable by others or holds no usable key."""
    if not path.exists():
        _create_key_file(path)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ConfigError(
            f"{path} is readable by other users: run `chmod 600 {path}`",
            file=str(path),
            reason="permissions",
        )
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < _KEY_MIN_CHARS:
        raise ConfigError(
            f"{path} holds no usable key (at least {_KEY_MIN_CHARS} characters): "
            "delete it to have a new one generated",
            file=str(path),
            reason="too short",
        )
    return secret


def _create_key_file(path: Path) -> None:
    """Write the key whole to a private temporary file, then link it into place: a second
    process starting at the same time either wins the link or reads the winner's key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        logger.info("generated the session signing key in %s", path)
    finally:
        Path(temporary).unlink()


def _authority(scheme: str, netloc: str) -> tuple[str, int | None] | None:
    """(host, port) with the default ports dropped; None when it cannot be parsed."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    return host.lower(), None if port in _DEFAULT_PORTS else port


def is_cross_site(request: Request) -> bool:
    """A write whose Origin (or, without one, Referer) names another host than the request's.

    Without either header (scripts, old clients) the request is not judged here: browsers send
    Origin with every cross-site POST, and the session cookie is SameSite=Lax besides. The
    scheme is not compared: behind a TLS proxy the app itself is reached over plain HTTP.
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    try:
        origin = urlsplit(source)
    except ValueError:
        return True
    here = _authority("http", request.headers.get("host", ""))
    there = _authority(origin.scheme or "http", origin.netloc)  # "null" parses to no host
    return here is None or there != here


async def refuse_cross_site(request: Request) -> None:
    """App-wide dependency: with security on, a write sent from another site is refused (403).
    Async so that it runs on the event loop, not a worker thread: it reads headers only."""
    guard: Guard | None = request.app.state.guard
    if guard is None or request.method in _SAFE_METHODS:
        return
    if is_cross_site(request):
        raise CrossSiteRequestError("refused: this request was sent from another site")
