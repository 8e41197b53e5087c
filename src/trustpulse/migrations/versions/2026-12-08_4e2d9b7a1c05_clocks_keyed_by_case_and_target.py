"""complaints: Key the SLA clocks by (complaint_id, target), without a surrogate id (issue #3).

A case has one clock per target, so the pair was already unique; the surrogate id was one
more index entry (and a sequence call) for every clock written.

Revision ID: 4e2d9b7a1c05
Revises: 7c1f0e9a2b31
Create Date: 2026-12-08 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4e2d9b7a1c05"
down_revision: str | None = "7c1f0e9a2b31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_sla_targets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_complaint_sla_targets_complaint_id_target", type_="unique")
        batch_op.drop_constraint("pk_complaint_sla_targets", type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_complaint_sla_targets", ["complaint_id", "target"])


def downgrade() -> None:
    with op.batch_alter_table("complaint_sla_targets", schema=None) as batch_op:
        batch_op.drop_constraint("pk_complaint_sla_targets", type_="primary")
        batch_op.add_column(sa.Column("id", sa.Integer(), autoincrement=True, nullable=True))
        batch_op.create_unique_constraint(
            "uq_complaint_sla_targets_complaint_id_target", ["complaint_id", "target"]
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE complaint_sla_targets_id_seq OWNED BY complaint_sla_targets.id")
        op.execute(
            "ALTER TABLE complaint_sla_targets "
            "ALTER COLUMN id SET DEFAULT nextval('complaint_sla_targets_id_seq')"
        )
        op.execute("UPDATE complaint_sla_targets SET id = nextval('complaint_sla_targets_id_seq')")
    else:
        op.execute("UPDATE complaint_sla_targets SET id = rowid")
    with op.batch_alter_table("complaint_sla_targets", schema=None) as batch_op:
        batch_op.alter_column("id", nullable=False)
        batch_op.create_primary_key("pk_complaint_sla_targets", ["id"])
