"""Who is reading: the actor every brand-scoped access function takes (STYLE.md §2).

Until accounts and roles land, the dashboard and the API run as one local user who sees every
brand. `current_actor` is the one place a request's actor is built, so logins and roles can
later be enforced there; tests override it (`app.dependency_overrides[current_actor]`).
Jobs, the CLI and imports act as `SYSTEM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends


@dataclass(frozen=True)
class Actor:
    """A reader and the brands it may see; `brands=None` means every brand."""

    name: str
    brands: frozenset[str] | None = None

    def may_see(self, brand_code: str) -> bool:
        return self.brands is None or brand_code in self.brands


LOCAL_USER = Actor("local")  # the embedded dashboard's single user
SYSTEM = Actor("system")  # jobs, CLI commands and imports


def current_actor() -> Actor:
    """The actor of this request: the local user until accounts and roles land."""
    return LOCAL_USER


CurrentActor = Annotated[Actor, Depends(current_actor)]
