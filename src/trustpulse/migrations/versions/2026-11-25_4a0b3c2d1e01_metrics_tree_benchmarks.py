"""metrics: Indicator tree, external benchmarks and trust-index leaves from text and complaints (issue #4).

Revision ID: 4a0b3c2d1e01
Revises: bc2017d91ccf
Create Date: 2026-11-25 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from trustpulse.db import UTCDateTime

revision: str = "4a0b3c2d1e01"
down_revision: str | None = "bc2017d91ccf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_benchmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("brand", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_benchmarks")),
        sa.UniqueConstraint(
            "metric",
            "period",
            "brand",
            "channel",
            "source",
            name=op.f("uq_metric_benchmarks_metric_period_brand_channel_source"),
        ),
    )


def downgrade() -> None:
    op.drop_table("metric_benchmarks")
