"""testimonials and the SPIN library

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fincrm.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = fincrm.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "testimonials",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("party_id", BIG_ID, nullable=False),
        sa.Column("story_zh", sa.Text(), nullable=False),
        sa.Column("story_en", sa.Text(), nullable=False),
        sa.Column("attribution_zh", sa.String(length=100), nullable=False),
        sa.Column("attribution_en", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_id", BIG_ID, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("withdrawn_at", UTC, nullable=True),
        sa.Column("withdrawn_by_id", BIG_ID, nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_testimonials_party_id_parties")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_testimonials_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["users.id"], name=op.f("fk_testimonials_withdrawn_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_testimonials")),
    )
    with op.batch_alter_table("testimonials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_testimonials_party_id"), ["party_id"], unique=False)
        batch_op.create_index("ix_testimonials_status_expires", ["status", "expires_on"], unique=False)

    op.create_table(
        "testimonial_uses",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("testimonial_id", BIG_ID, nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", BIG_ID, nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("block_zh", sa.Text(), nullable=False),
        sa.Column("block_en", sa.Text(), nullable=False),
        sa.Column("used_by_id", BIG_ID, nullable=False),
        sa.Column("used_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["testimonial_id"],
            ["testimonials.id"],
            name=op.f("fk_testimonial_uses_testimonial_id_testimonials"),
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"], ["users.id"], name=op.f("fk_testimonial_uses_used_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_testimonial_uses")),
    )
    with op.batch_alter_table("testimonial_uses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_testimonial_uses_testimonial_id"), ["testimonial_id"], unique=False
        )
        batch_op.create_index("ix_testimonial_uses_target", ["target_kind", "target_id"], unique=False)

    op.create_table(
        "spin_topics",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title_zh", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.String(length=100), nullable=False),
        sa.Column("triggers", sa.Text(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spin_topics")),
        sa.UniqueConstraint("key", name=op.f("uq_spin_topics_key")),
    )

    op.create_table(
        "spin_questions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("topic_key", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_spin_questions_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spin_questions")),
        sa.UniqueConstraint("key", name=op.f("uq_spin_questions_key")),
    )
    with op.batch_alter_table("spin_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spin_questions_topic_key"), ["topic_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spin_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spin_questions_topic_key"))
    op.drop_table("spin_questions")
    op.drop_table("spin_topics")
    with op.batch_alter_table("testimonial_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_testimonial_uses_target")
        batch_op.drop_index(batch_op.f("ix_testimonial_uses_testimonial_id"))
    op.drop_table("testimonial_uses")
    with op.batch_alter_table("testimonials", schema=None) as batch_op:
        batch_op.drop_index("ix_testimonials_status_expires")
        batch_op.drop_index(batch_op.f("ix_testimonials_party_id"))
    op.drop_table("testimonials")
