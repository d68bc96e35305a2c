"""complaints, cross-department cases and marketing holds

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "marketing_holds",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("placed_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_marketing_holds_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_holds")),
        sa.UniqueConstraint("source", "ref", name=op.f("uq_marketing_holds_source_ref")),
    )
    with op.batch_alter_table("marketing_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketing_holds_party_id"), ["party_id"], unique=False)
    op.create_table(
        "complaints",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("complaint_no", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("received_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_by_id", BIG_ID, nullable=False),
        sa.Column("assignee_id", BIG_ID, nullable=True),
        sa.Column("first_response_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_summary", sa.Text(), nullable=True),
        sa.Column("remedy", sa.Text(), nullable=True),
        sa.Column("compensation_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("compensation_currency", sa.String(length=3), nullable=True),
        sa.Column("feedback_satisfaction", sa.String(length=16), nullable=True),
        sa.Column("feedback_score", sa.SmallInteger(), nullable=True),
        sa.Column("feedback_comment", sa.Text(), nullable=True),
        sa.Column("feedback_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_complaints_party_id_parties")),
        sa.ForeignKeyConstraint(["filed_by_id"], ["users.id"], name=op.f("fk_complaints_filed_by_id_users")),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_complaints_assignee_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("complaint_no", name=op.f("uq_complaints_complaint_no")),
        sa.UniqueConstraint("ref", name=op.f("uq_complaints_ref")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index("ix_complaints_status_received_at", ["status", "received_at"], unique=False)
    op.create_table(
        "complaint_steps",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("complaint_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", BIG_ID, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_steps_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_complaint_steps_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_steps")),
    )
    with op.batch_alter_table("complaint_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_steps_complaint_id"), ["complaint_id"], unique=False)
    op.create_table(
        "joint_cases",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=True),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_by_id", BIG_ID, nullable=False),
        sa.Column("opened_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposal_text", sa.Text(), nullable=False),
        sa.Column("proposal_version", sa.Integer(), nullable=False),
        sa.Column("proposal_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("agreed_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_joint_cases_party_id_parties")),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_joint_cases_opened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_cases")),
        sa.UniqueConstraint("ref", name=op.f("uq_joint_cases_ref")),
    )
    with op.batch_alter_table("joint_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_cases_party_id"), ["party_id"], unique=False)
        batch_op.create_index("ix_joint_cases_status_due_at", ["status", "due_at"], unique=False)
    op.create_table(
        "joint_case_members",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("function", sa.String(length=16), nullable=False),
        sa.Column("added_by_id", BIG_ID, nullable=False),
        sa.Column("added_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["joint_cases.id"], name=op.f("fk_joint_case_members_case_id_joint_cases")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_joint_case_members_user_id_users")),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_joint_case_members_added_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_case_members")),
        sa.UniqueConstraint("case_id", "user_id", name=op.f("uq_joint_case_members_case_id_user_id")),
    )
    with op.batch_alter_table("joint_case_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_case_members_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_joint_case_members_user_id"), ["user_id"], unique=False)
    op.create_table(
        "joint_case_comments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("author_id", BIG_ID, nullable=False),
        sa.Column("at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["joint_cases.id"], name=op.f("fk_joint_case_comments_case_id_joint_cases")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_joint_case_comments_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_case_comments")),
    )
    with op.batch_alter_table("joint_case_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_case_comments_case_id"), ["case_id"], unique=False)
    op.create_table(
        "joint_case_attachments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("uploaded_by_id", BIG_ID, nullable=False),
        sa.Column("at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["joint_cases.id"], name=op.f("fk_joint_case_attachments_case_id_joint_cases")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_joint_case_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_case_attachments")),
    )
    with op.batch_alter_table("joint_case_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_case_attachments_case_id"), ["case_id"], unique=False)
    op.create_table(
        "joint_case_signoffs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("proposal_version", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=16), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["joint_cases.id"], name=op.f("fk_joint_case_signoffs_case_id_joint_cases")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_joint_case_signoffs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_case_signoffs")),
        sa.UniqueConstraint(
            "case_id",
            "proposal_version",
            "function",
            name=op.f("uq_joint_case_signoffs_case_id_proposal_version_function"),
        ),
    )
    with op.batch_alter_table("joint_case_signoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_case_signoffs_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("joint_case_signoffs", ["ix_joint_case_signoffs_case_id"]),
        ("joint_case_attachments", ["ix_joint_case_attachments_case_id"]),
        ("joint_case_comments", ["ix_joint_case_comments_case_id"]),
        ("joint_case_members", ["ix_joint_case_members_user_id", "ix_joint_case_members_case_id"]),
        ("joint_cases", ["ix_joint_cases_status_due_at", "ix_joint_cases_party_id"]),
        ("complaint_steps", ["ix_complaint_steps_complaint_id"]),
        (
            "complaints",
            ["ix_complaints_status_received_at", "ix_complaints_assignee_id", "ix_complaints_party_id"],
        ),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in indexes:
                batch_op.drop_index(name)
        op.drop_table(table)
    with op.batch_alter_table("marketing_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketing_holds_party_id"))
    op.drop_table("marketing_holds")
