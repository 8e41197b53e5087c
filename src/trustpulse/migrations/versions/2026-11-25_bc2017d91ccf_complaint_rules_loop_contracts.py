"""complaints: Add case-rule markers, promises, compensation, follow-up surveys, contracts and
service credits, status tokens and closed-loop steps (issue #3).

Revision ID: bc2017d91ccf
Revises: 3d93b9d64675
Create Date: 2026-11-25 03:07:01.124317
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import trustpulse.db

revision: str = "bc2017d91ccf"
down_revision: str | None = "3d93b9d64675"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=80), nullable=False),
        sa.Column("monthly_fee", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_complaint_contracts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_contracts")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_complaint_contracts_customer_id")),
    )
    op.create_table(
        "complaint_compensations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("range_min", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("range_max", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("approval_reason", sa.String(length=200), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("given_by", sa.Integer(), nullable=True),
        sa.Column("created_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["users.id"],
            name=op.f("fk_complaint_compensations_approved_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_compensations_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["given_by"],
            ["users.id"],
            name=op.f("fk_complaint_compensations_given_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_compensations")),
    )
    with op.batch_alter_table("complaint_compensations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_compensations_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "kept", "broken", name="promisestatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_promises_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_complaint_promises_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_promises")),
    )
    with op.batch_alter_table("complaint_promises", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_promises_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index("ix_complaint_promises_due", ["status", "due_at"], unique=False)

    op.create_table(
        "complaint_rule_evaluations",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_rule_evaluations_complaint_id_complaints"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_complaint_rule_evaluations_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_complaint_rule_evaluations")),
    )
    op.create_table(
        "complaint_service_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("breached_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("force_majeure", sa.Boolean(), nullable=False),
        sa.Column("exemption_reason", sa.Text(), nullable=True),
        sa.Column("exempted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_service_credits_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_complaint_service_credits_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exempted_by"],
            ["users.id"],
            name=op.f("fk_complaint_service_credits_exempted_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_service_credits")),
        sa.UniqueConstraint(
            "complaint_id",
            "target",
            "cycle",
            name=op.f("uq_complaint_service_credits_complaint_id_target_cycle"),
        ),
    )
    with op.batch_alter_table("complaint_service_credits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_service_credits_customer", ["customer_id", "period"], unique=False
        )

    op.create_table(
        "complaint_survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", trustpulse.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("feedback_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_survey_invitations_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_complaint_survey_invitations_feedback_id_feedback"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_survey_invitations")),
        sa.UniqueConstraint(
            "complaint_id", "cycle", name=op.f("uq_complaint_survey_invitations_complaint_id_cycle")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_complaint_survey_invitations_token")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("attributed_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("improvement_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("no_action_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("action_linked_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "customer_notified_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("loop_closed_at", trustpulse.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_complaints_status_token"), ["status_token"]
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_complaints_status_token"), type_="unique")
        batch_op.drop_column("loop_closed_at")
        batch_op.drop_column("customer_notified_at")
        batch_op.drop_column("action_linked_at")
        batch_op.drop_column("no_action_reason")
        batch_op.drop_column("improvement_ref")
        batch_op.drop_column("attributed_at")
        batch_op.drop_column("status_token")

    op.drop_table("complaint_survey_invitations")
    with op.batch_alter_table("complaint_service_credits", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_service_credits_customer")

    op.drop_table("complaint_service_credits")
    op.drop_table("complaint_rule_evaluations")
    with op.batch_alter_table("complaint_promises", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_promises_due")
        batch_op.drop_index(batch_op.f("ix_complaint_promises_complaint_id"))

    op.drop_table("complaint_promises")
    with op.batch_alter_table("complaint_compensations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_compensations_complaint_id"))

    op.drop_table("complaint_compensations")
    op.drop_table("complaint_contracts")
