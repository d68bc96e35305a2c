"""crisis drafts and drills

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op  # noqa: F401 - stub: the helper writing it removes this

import fincrm.db.base  # noqa: F401 - stub: the helper writing it removes this

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
