"""GET /api/transparency/snapshots: every published version (figures frozen at publication)."""

from __future__ import annotations

from fastapi import APIRouter

from trustpulse.customers.access import OptionalBrand
from trustpulse.db import DbSession
from trustpulse.transparency import service
from trustpulse.transparency.schemas import SnapshotOut

router = APIRouter(prefix="/transparency", tags=["transparency"])


@router.get("/snapshots", response_model=list[SnapshotOut])
def snapshots(
    session: DbSession, brand: OptionalBrand, quarter: str | None = None
) -> list[dict[str, object]]:
    """Published snapshots by brand, quarter and version; `brand`/`quarter` narrow the list."""
    return [
        service.snapshot_dict(code, s)
        for code, s in service.list_snapshots(session, brand=brand, quarter=quarter)
    ]
