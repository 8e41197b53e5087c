"""metrics: Store prepared dashboard results; index the columns the cache watermark reads.

The watermark takes the highest updated_at / analysed_at / built_at: with these indexes it is
an index lookup instead of a table scan (issues #4, #6).

Revision ID: e27e481fbdcf
Revises: 3a0b3c2d1e04
Create Date: 2026-12-07 14:55:37.807725
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import trustpulse.db

revision: str = "e27e481fbdcf"
down_revision: str | None = "3a0b3c2d1e04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_results",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("watermark", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_metric_results")),
    )
    with op.batch_alter_table("customer_segments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_segments_built_at"), ["built_at"], unique=False
        )

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_updated_at"), ["updated_at"], unique=False)

    with op.batch_alter_table("feedback_analysis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_analysis_analysed_at"), ["analysed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_analysis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_analysis_analysed_at"))

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_updated_at"))

    with op.batch_alter_table("customer_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_segments_built_at"))

    op.drop_table("metric_results")
