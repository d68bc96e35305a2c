"""content library, morning briefs, weekly Q&A

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_pieces",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("industry_codes", sa.String(length=200), nullable=False),
        sa.Column("topics", sa.String(length=300), nullable=False),
        sa.Column("tiers", sa.String(length=40), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_content_pieces_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_pieces")),
    )
    op.create_index(op.f("ix_content_pieces_published_on"), "content_pieces", ["published_on"], unique=False)
    op.create_table(
        "morning_briefs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("desk", sa.String(length=40), nullable=False),
        sa.Column("brief_on", sa.Date(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_morning_briefs_author_id_users")),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_morning_briefs_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_morning_briefs")),
        sa.UniqueConstraint("desk", "brief_on", name=op.f("uq_morning_briefs_desk_brief_on")),
    )
    op.create_index(op.f("ix_morning_briefs_brief_on"), "morning_briefs", ["brief_on"], unique=False)
    op.create_table(
        "qa_sessions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("live_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("chosen_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_qa_sessions_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_sessions")),
    )
    op.create_index(op.f("ix_qa_sessions_live_on"), "qa_sessions", ["live_on"], unique=False)
    op.create_table(
        "brief_distributions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("brief_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("consenting", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brief_id"], ["morning_briefs.id"], name=op.f("fk_brief_distributions_brief_id_morning_briefs")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_brief_distributions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brief_distributions")),
    )
    op.create_index(
        op.f("ix_brief_distributions_brief_id"), "brief_distributions", ["brief_id"], unique=False
    )
    op.create_table(
        "qa_groups",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("askers", sa.Integer(), nullable=False),
        sa.Column("first_asked_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("answer_zh", sa.Text(), nullable=True),
        sa.Column("answer_en", sa.Text(), nullable=True),
        sa.Column("answered_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_qa_groups_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["qa_sessions.id"], name=op.f("fk_qa_groups_session_id_qa_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_groups")),
    )
    op.create_index(op.f("ix_qa_groups_session_id"), "qa_groups", ["session_id"], unique=False)
    op.create_table(
        "qa_questions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recorded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("normalised", sa.Text(), nullable=False),
        sa.Column("asked_at", fincrm.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["qa_groups.id"], name=op.f("fk_qa_questions_group_id_qa_groups")
        ),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_qa_questions_party_id_parties")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_qa_questions_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["qa_sessions.id"], name=op.f("fk_qa_questions_session_id_qa_sessions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_questions")),
    )
    op.create_index(op.f("ix_qa_questions_group_id"), "qa_questions", ["group_id"], unique=False)
    op.create_index(op.f("ix_qa_questions_party_id"), "qa_questions", ["party_id"], unique=False)
    op.create_index(op.f("ix_qa_questions_session_id"), "qa_questions", ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_qa_questions_session_id"), table_name="qa_questions")
    op.drop_index(op.f("ix_qa_questions_party_id"), table_name="qa_questions")
    op.drop_index(op.f("ix_qa_questions_group_id"), table_name="qa_questions")
    op.drop_table("qa_questions")
    op.drop_index(op.f("ix_qa_groups_session_id"), table_name="qa_groups")
    op.drop_table("qa_groups")
    op.drop_index(op.f("ix_brief_distributions_brief_id"), table_name="brief_distributions")
    op.drop_table("brief_distributions")
    op.drop_index(op.f("ix_qa_sessions_live_on"), table_name="qa_sessions")
    op.drop_table("qa_sessions")
    op.drop_index(op.f("ix_morning_briefs_brief_on"), table_name="morning_briefs")
    op.drop_table("morning_briefs")
    op.drop_index(op.f("ix_content_pieces_published_on"), table_name="content_pieces")
    op.drop_table("content_pieces")
