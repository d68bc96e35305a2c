"""Book scoping: the one rule that decides which clients a staff user may see or change.

Every read done for a person goes through ``readable_parties`` / ``changeable_parties``, so the
API and the pages share one rule:

- RM: their book, i.e. clients whose primary RM they are, plus secondary coverage;
- team lead: the books of every RM in their team (their own included);
- compliance: every client (reads); changes only compliance objects, so no client writes;
- research: only clients of a case shared with them; cases arrive later, so none yet;
- admin: no client personal data at all.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, CompoundSelect, Select, exists, false, or_, select, true, union

from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.clients.models import Coverage, Party


def _book_of_users(user_ids: Select) -> ColumnElement[bool]:
    return or_(
        Party.primary_rm_id.in_(user_ids),
        exists().where(Coverage.party_id == Party.id, Coverage.user_id.in_(user_ids)),
    )


def readable_parties(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``Party`` selecting the clients ``principal`` may read."""
    if principal.role is Role.RM:
        return or_(
            Party.primary_rm_id == principal.user_id,
            exists().where(Coverage.party_id == Party.id, Coverage.user_id == principal.user_id),
        )
    if principal.role is Role.TEAM_LEAD:
        if principal.team_id is None:
            return _book_of_users(select(User.id).where(User.id == principal.user_id))
        return _book_of_users(select(User.id).where(User.team_id == principal.team_id))
    if principal.role is Role.COMPLIANCE:
        return true()
    return false()  # research (until cases exist) and admin


def changeable_parties(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``Party`` selecting the clients whose records ``principal`` may change."""
    if principal.role in (Role.RM, Role.TEAM_LEAD):
        return readable_parties(principal)
    return false()


def book_ids(principal: Principal) -> CompoundSelect | None:
    """The ids of the clients in the principal's book(s), as a query, for RMs and team leads.

    A search over a small book is cheaper driven from the book (index on ``primary_rm_id`` plus
    coverage) than from a prefix index over every client: on a million clients a one-letter prefix
    matches 50,000 rows, an RM's book a few hundred. None for roles without a book (compliance
    reads everything; research and admin read through ``readable_parties``).
    """
    if principal.role is Role.RM:
        users: Select | None = select(User.id).where(User.id == principal.user_id)
    elif principal.role is Role.TEAM_LEAD:
        users = select(User.id).where(
            User.team_id == principal.team_id
            if principal.team_id is not None
            else User.id == principal.user_id
        )
    else:
        return None
    return union(
        select(Party.id.label("id")).where(Party.primary_rm_id.in_(users)),
        select(Coverage.party_id.label("id")).where(Coverage.user_id.in_(users)),
    )
