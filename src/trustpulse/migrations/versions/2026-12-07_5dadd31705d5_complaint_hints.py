"""complaints: Store each complaint's responsibility hint from the active hint models (issue #5).

A new table rather than the reserved 5a0b3c2d1e03: that revision is no longer the head (two
revisions landed on top of it), so filling it in would change a migration that has landed.

Revision ID: 5dadd31705d5
Revises: e27e481fbdcf
Create Date: 2026-12-07 17:08:16.534997
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import trustpulse.db

revision: str = "5dadd31705d5"
down_revision: str | None = "e27e481fbdcf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_hints",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("responsibility", sa.String(length=40), nullable=True),
        sa.Column("responsibility_score", sa.Float(), nullable=True),
        sa.Column("root_cause", sa.String(length=120), nullable=True),
        sa.Column("root_cause_score", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=120), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("hinted_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_hints_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaint_hints")),
    )
    with op.batch_alter_table("complaint_hints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_hints_model_version"), ["model_version"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_hints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_hints_model_version"))

    op.drop_table("complaint_hints")
