"""complaints: Clocks carry the case's policy; no per-row key check on them (issue #3).

`complaints.sla_policy` repeated what every clock of the case holds, and a bulk recompute
that set it rewrote every case row (on PostgreSQL a full row version and every index entry of
`complaints`). The clocks lose their foreign key, whose per-row check locks the case row, and
their due index keeps only the running clocks, the only ones the escalation runner looks up.

Revision ID: 7c1f0e9a2b31
Revises: 5dadd31705d5
Create Date: 2026-12-08 00:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1f0e9a2b31"
down_revision: str | None = "5dadd31705d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("sla_policy")
    with op.batch_alter_table("complaint_sla_targets", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_complaint_sla_targets_complaint_id_complaints", type_="foreignkey"
        )
        batch_op.drop_index("ix_complaint_sla_targets_due")
        batch_op.create_index(
            "ix_complaint_sla_targets_due",
            ["next_check_at"],
            unique=False,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_sla_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_sla_targets_due")
        batch_op.create_index(
            "ix_complaint_sla_targets_due", ["status", "next_check_at"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_complaint_sla_targets_complaint_id_complaints",
            "complaints",
            ["complaint_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_policy", sa.String(length=80), nullable=True))
    # the cases' policies, from their clocks
    op.execute(
        "UPDATE complaints SET sla_policy = (SELECT min(t.policy) FROM complaint_sla_targets t "
        "WHERE t.complaint_id = complaints.id)"
    )
