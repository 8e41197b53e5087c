"""complaints: Add SLA target clocks, resolution summary, complex flag, reopen count (issue #3).

Revision ID: 97545ba48904
Revises: bab49ffd7ffd
Create Date: 2026-11-25 02:52:26.085045
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import trustpulse.db

revision: str = "97545ba48904"
down_revision: str | None = "bab49ffd7ffd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_sla_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "first_response",
                "next_reply",
                "resolution",
                name="slatarget",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=80), nullable=False),
        sa.Column("calendar", sa.String(length=80), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("started_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("fulfilled_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("next_check_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active", "paused", "fulfilled", name="slastatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("updated_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_sla_targets_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_sla_targets")),
        sa.UniqueConstraint(
            "complaint_id", "target", name=op.f("uq_complaint_sla_targets_complaint_id_target")
        ),
    )
    with op.batch_alter_table("complaint_sla_targets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_sla_targets_due", ["status", "next_check_at"], unique=False
        )

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution_summary", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("is_complex", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("sla_policy", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("sla_policy")
        batch_op.drop_column("reopen_count")
        batch_op.drop_column("is_complex")
        batch_op.drop_column("resolution_summary")

    with op.batch_alter_table("complaint_sla_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_sla_targets_due")

    op.drop_table("complaint_sla_targets")
