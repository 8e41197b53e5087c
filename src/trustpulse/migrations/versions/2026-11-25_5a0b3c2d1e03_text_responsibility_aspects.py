"""text: Responsibility hints and aspect learning stored per feedback (issue #5).

Revision ID: 5a0b3c2d1e03
Revises: 6a0b3c2d1e02
Create Date: 2026-11-25 05:00:00
"""

from collections.abc import Sequence

revision: str = "5a0b3c2d1e03"
down_revision: str | None = "6a0b3c2d1e02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
