"""text: Add feedback_analysis, one row of text-pipeline results per feedback (issue #5).

Revision ID: bab49ffd7ffd
Revises: cc0e2d5caf08
Create Date: 2026-11-25 02:40:15.243819
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import trustpulse.db

revision: str = "bab49ffd7ffd"
down_revision: str | None = "cc0e2d5caf08"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_analysis",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("sentiment_label", sa.String(length=40), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("redacted_text", sa.Text(), nullable=False),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "aspects",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=120), nullable=True),
        sa.Column(
            "pii_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("model_version", sa.String(length=120), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("analysed_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_analysis_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback_analysis")),
    )
    with op.batch_alter_table("feedback_analysis", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_analysis_model_version", ["model_version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_analysis", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_analysis_model_version")

    op.drop_table("feedback_analysis")
