"""metrics: Add daily rollups, customer segments, trust investments, improvement actions (issue #4).

Revision ID: 3d93b9d64675
Revises: c66b3ef813ef
Create Date: 2026-11-25 02:56:23.500921
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import trustpulse.db

revision: str = "3d93b9d64675"
down_revision: str | None = "c66b3ef813ef"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metric_rollup_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("max_feedback_id", sa.Integer(), nullable=False),
        sa.Column("updated_watermark", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("built_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_metric_rollup_state")),
    )
    op.create_table(
        "improvement_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("root_cause", sa.String(length=120), nullable=True),
        sa.Column("owner", sa.String(length=120), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("done_date", sa.Date(), nullable=True),
        sa.Column("impact", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("expected_gain", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_improvement_actions_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_actions")),
    )
    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_improvement_actions_brand_status", ["brand_id", "status"], unique=False
        )

    op.create_table(
        "metric_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("touchpoint", sa.String(length=60), nullable=True),
        sa.Column("segment", sa.String(length=80), nullable=True),
        sa.Column("metric", sa.String(length=60), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("total_sq", sa.Float(), nullable=False),
        sa.Column("h0", sa.Integer(), nullable=False),
        sa.Column("h1", sa.Integer(), nullable=False),
        sa.Column("h2", sa.Integer(), nullable=False),
        sa.Column("h3", sa.Integer(), nullable=False),
        sa.Column("h4", sa.Integer(), nullable=False),
        sa.Column("h5", sa.Integer(), nullable=False),
        sa.Column("h6", sa.Integer(), nullable=False),
        sa.Column("h7", sa.Integer(), nullable=False),
        sa.Column("h8", sa.Integer(), nullable=False),
        sa.Column("h9", sa.Integer(), nullable=False),
        sa.Column("h10", sa.Integer(), nullable=False),
        sa.Column("h_other", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_metric_rollups_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_rollups")),
    )
    with op.batch_alter_table("metric_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_metric_rollups_brand_metric_day", ["brand_id", "metric", "day"], unique=False
        )

    op.create_table(
        "trust_investments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("expected_trust_gain", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_trust_investments_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_investments")),
    )
    with op.batch_alter_table("trust_investments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trust_investments_brand_period", ["brand_id", "period"], unique=False
        )

    op.create_table(
        "customer_segments",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("trust_type", sa.String(length=40), nullable=False),
        sa.Column("value_tier", sa.String(length=40), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("built_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_customer_segments_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_segments_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_segments")),
    )
    with op.batch_alter_table("customer_segments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_segments_brand_id"), ["brand_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_segments_brand_id"))

    op.drop_table("customer_segments")
    with op.batch_alter_table("trust_investments", schema=None) as batch_op:
        batch_op.drop_index("ix_trust_investments_brand_period")

    op.drop_table("trust_investments")
    with op.batch_alter_table("metric_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_metric_rollups_brand_metric_day")

    op.drop_table("metric_rollups")
    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_improvement_actions_brand_status")

    op.drop_table("improvement_actions")
    op.drop_table("metric_rollup_state")
