"""web: Published transparency snapshots with dated corrections (issue #6).

Revision ID: 6a0b3c2d1e02
Revises: 4a0b3c2d1e01
Create Date: 2026-11-25 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import trustpulse.db

revision: str = "6a0b3c2d1e02"
down_revision: str | None = "4a0b3c2d1e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transparency_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "figures",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("published_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_transparency_snapshots_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transparency_snapshots")),
        sa.UniqueConstraint(
            "brand_id",
            "quarter",
            "version",
            name=op.f("uq_transparency_snapshots_brand_id_quarter_version"),
        ),
    )
    with op.batch_alter_table("transparency_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transparency_snapshots_brand_id"), ["brand_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transparency_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transparency_snapshots_brand_id"))
    op.drop_table("transparency_snapshots")
