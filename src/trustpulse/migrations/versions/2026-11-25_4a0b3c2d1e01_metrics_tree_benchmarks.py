"""metrics: Indicator tree, external benchmarks and trust-index leaves from text and complaints (issue #4).

Revision ID: 4a0b3c2d1e01
Revises: bc2017d91ccf
Create Date: 2026-11-25 05:00:00
"""

from collections.abc import Sequence

revision: str = "4a0b3c2d1e01"
down_revision: str | None = "bc2017d91ccf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
