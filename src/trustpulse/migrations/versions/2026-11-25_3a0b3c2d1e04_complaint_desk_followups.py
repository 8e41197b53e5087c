"""complaints: Follow-up forms and SLA bench changes (issue #3).

Revision ID: 3a0b3c2d1e04
Revises: 5a0b3c2d1e03
Create Date: 2026-11-25 05:00:00
"""

from collections.abc import Sequence

revision: str = "3a0b3c2d1e04"
down_revision: str | None = "5a0b3c2d1e03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
