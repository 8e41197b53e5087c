"""web: Published transparency snapshots with dated corrections (issue #6).

Revision ID: 6a0b3c2d1e02
Revises: 4a0b3c2d1e01
Create Date: 2026-11-25 05:00:00
"""

from collections.abc import Sequence

revision: str = "6a0b3c2d1e02"
down_revision: str | None = "4a0b3c2d1e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
