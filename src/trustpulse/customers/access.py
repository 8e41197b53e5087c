"""The `brand` query parameter of API routes, checked against the request's actor.

A route declares `brand: VisibleBrand` (or `OptionalBrand`, `NewOrVisibleBrand`) and receives a
code the actor may see: a brand outside the actor's scope is 404, exactly like a missing one
(STYLE.md §2).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from trustpulse.accounts.actors import CurrentActor
from trustpulse.customers import service
from trustpulse.db import DbSession
from trustpulse.errors import InvalidInputError, NotFoundError

BrandQuery = Annotated[str, Query(min_length=1, max_length=40)]


def visible_brand(
    session: DbSession,
    actor: CurrentActor,
    brand: BrandQuery = "default",
) -> str:
    return service.get_brand(session, brand, actor=actor).code


def new_or_visible_brand(actor: CurrentActor, brand: BrandQuery = "default") -> str:
    """For writes that create the brand on first use: in the actor's scope, need not exist."""
    if not actor.may_see(brand):
        raise NotFoundError(f"brand {brand!r} not found", brand=brand)
    return brand


def optional_brand(session: DbSession, actor: CurrentActor, brand: str | None = None) -> str | None:
    """No brand means every brand: only an actor who may see every brand may ask for that."""
    if brand is not None:
        return service.get_brand(session, brand, actor=actor).code
    if actor.brands is not None:
        raise InvalidInputError("name a brand: this user sees only some brands", field="brand")
    return None


VisibleBrand = Annotated[str, Depends(visible_brand)]
NewOrVisibleBrand = Annotated[str, Depends(new_or_visible_brand)]
OptionalBrand = Annotated[str | None, Depends(optional_brand)]
