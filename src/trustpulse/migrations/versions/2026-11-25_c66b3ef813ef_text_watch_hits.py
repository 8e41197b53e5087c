"""text: Add text_watch_hits, one row per watch-list term a feedback mentions (issue #5).

Revision ID: c66b3ef813ef
Revises: 97545ba48904
Create Date: 2026-11-25 02:53:53.704078
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c66b3ef813ef"
down_revision: str | None = "97545ba48904"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_watch_hits",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("watchlist", sa.String(length=80), nullable=False),
        sa.Column("term", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback_analysis.feedback_id"],
            name=op.f("fk_text_watch_hits_feedback_id_feedback_analysis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feedback_id", "watchlist", "term", name=op.f("pk_text_watch_hits")
        ),
    )
    with op.batch_alter_table("text_watch_hits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_text_watch_hits_watchlist_term", ["watchlist", "term"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("text_watch_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_text_watch_hits_watchlist_term")

    op.drop_table("text_watch_hits")
