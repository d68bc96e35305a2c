"""testimonials and the SPIN library

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op  # noqa: F401 - stub: the helper writing it removes this

import fincrm.db.base  # noqa: F401 - stub: the helper writing it removes this

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
