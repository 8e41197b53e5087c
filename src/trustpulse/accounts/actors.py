"""Who is reading: the actor every brand-scoped access function takes (STYLE.md §2).

Until accounts and roles land, the dashboard and the API run as one local user who sees every
brand. `current_actor` is the one place a request's actor is built and where the login is
enforced: with security on (a dashboard password, accounts/security.py) a request without a
valid session or the password is LoginRequiredError. app.py requires it of every route that is
not public. Tests override it (`app.dependency_overrides[current_actor]`).
Jobs, the CLI and imports act as `SYSTEM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from trustpulse.accounts.security import Guard, LoginRequiredError


@dataclass(frozen=True)
class Actor:
    """A reader and the brands it may see; `brands=None` means every brand."""

    name: str
    brands: frozenset[str] | None = None

    def may_see(self, brand_code: str) -> bool:
        return self.brands is None or brand_code in self.brands


LOCAL_USER = Actor("local")  # the embedded dashboard's single user
SYSTEM = Actor("system")  # jobs, CLI commands and imports


async def current_actor(request: Request) -> Actor:
    """The actor of this request: the local user until accounts and roles land. Raises
    LoginRequiredError while security is on and the request shows no session or password, and
    TooManyAttemptsError (429) for an address locked out by wrong passwords.

    Async although it never awaits: it only checks headers and an HMAC, and FastAPI would run
    a plain function on a worker thread (a thread hop per request, measured in bench/sla.py)."""
    guard: Guard | None = request.app.state.guard
    if guard is not None and not guard.admits(request, request.app.state.login_throttle):
        raise LoginRequiredError(
            "login required: log in at /login, or send the dashboard password by HTTP Basic"
        )
    return LOCAL_USER


CurrentActor = Annotated[Actor, Depends(current_actor)]
