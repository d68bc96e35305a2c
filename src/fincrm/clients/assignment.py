"""Moving clients between relationship managers (reassignment of the book, 管户调整).

An administrator may move any client; a team lead only clients whose primary RM is in their team,
and only to an RM of their team. A move is all-or-nothing: every unknown or out-of-scope client
number is reported at once and nothing moves. Each moved client gets one audit record
(``client.reassign``) in the same transaction as the change. Administrators read no client
personal data, so everything here returns client numbers and counts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import Team, User
from fincrm.clients.models import Party
from fincrm.errors import FieldError, InputError, PermissionDenied

MAY_REASSIGN = frozenset({Role.ADMIN, Role.TEAM_LEAD})
HOLDS_A_BOOK = frozenset({Role.RM, Role.TEAM_LEAD})  # roles that can be a client's primary RM
MAX_PARTY_NOS = 10_000  # client numbers in one request; a whole book goes by ``from_rm``


@dataclass(frozen=True, slots=True)
class Reassignment:
    from_rm: str | None  # set when a whole book was moved
    to_rm: str
    moved: list[str]  # client numbers now in ``to_rm``'s book
    unchanged: list[str]  # already ``to_rm``'s clients


@dataclass(frozen=True, slots=True)
class BookCount:
    username: str
    display_name: str
    team_code: str | None
    is_active: bool
    clients: int  # clients whose primary RM this user is


def _require_reassigner(actor: Principal) -> None:
    if actor.role not in MAY_REASSIGN:
        raise PermissionDenied("only an administrator or a team lead may move clients between RMs")


def _rm(session: Session, actor: Principal, username: str, loc: str) -> User | FieldError:
    user = session.scalars(select(User).where(User.username == username.strip())).one_or_none()
    if user is None or user.role not in HOLDS_A_BOOK:
        return FieldError((loc,), "no relationship manager or team lead with this user name", username)
    if actor.role is Role.TEAM_LEAD and user.team_id != actor.team_id:
        return FieldError((loc,), "not in your team", username)
    return user


def book_counts(session: Session, actor: Principal) -> list[BookCount]:
    """Every RM and team lead with the number of clients in their book (a lead: their team only)."""
    _require_reassigner(actor)
    clients = select(Party.primary_rm_id, func.count().label("n")).group_by(Party.primary_rm_id).subquery()
    query = (
        select(User, Team.code, func.coalesce(clients.c.n, 0))
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(clients, clients.c.primary_rm_id == User.id)
        .where(User.role.in_(HOLDS_A_BOOK))
        .order_by(User.username)
    )
    if actor.role is Role.TEAM_LEAD:
        query = query.where(User.team_id == actor.team_id)
    return [
        BookCount(user.username, user.display_name, code, user.is_active, int(n))
        for user, code, n in session.execute(query)
    ]


def reassign_clients(
    session: Session,
    actor: Principal,
    *,
    to_rm: str,
    now: datetime,
    party_nos: Sequence[str] | None = None,
    from_rm: str | None = None,
) -> Reassignment:
    """Make ``to_rm`` the primary RM of the given clients, or of every client of ``from_rm``.

    Parameters
    ----------
    to_rm
        User name of the RM (or team lead) who takes the clients; must be active.
    party_nos
        Client numbers to move. Exactly one of ``party_nos`` and ``from_rm`` is given.
    from_rm
        User name of the RM whose whole book moves.

    Returns
    -------
    Reassignment
        Client numbers moved and those already in ``to_rm``'s book.

    Raises
    ------
    PermissionDenied
        ``actor`` is neither an administrator nor a team lead.
    InputError
        Unknown or out-of-scope client numbers or users, all listed; nothing is moved.
    """
    _require_reassigner(actor)
    problems: list[FieldError] = []
    if (party_nos is None) == (from_rm is None):
        raise InputError(
            "give either client numbers or the RM whose book moves, not both",
            errors=[FieldError(("party_nos",), "exactly one of party_nos and from_rm", None)],
        )
    target = _rm(session, actor, to_rm, "to_rm")
    if isinstance(target, FieldError):
        problems.append(target)
    elif not target.is_active:
        problems.append(FieldError(("to_rm",), "this user is deactivated", to_rm))
    source: User | None = None
    if from_rm is not None:
        found = _rm(session, actor, from_rm, "from_rm")
        if isinstance(found, FieldError):
            problems.append(found)
        else:
            source = found
    if problems:
        raise InputError("the clients cannot be moved", errors=problems)
    assert isinstance(target, User)

    if source is not None:
        parties = list(
            session.scalars(select(Party).where(Party.primary_rm_id == source.id).order_by(Party.party_no))
        )
    else:
        assert party_nos is not None
        wanted = list(dict.fromkeys(p.strip() for p in party_nos if p.strip()))
        if not wanted:
            raise InputError("no client numbers given", errors=[FieldError(("party_nos",), "required", None)])
        if len(wanted) > MAX_PARTY_NOS:
            raise InputError(
                f"at most {MAX_PARTY_NOS:,} client numbers at once; move a whole book with from_rm",
                errors=[FieldError(("party_nos",), "too many", len(wanted))],
            )
        found_parties: dict[str, Party] = {}
        for start in range(0, len(wanted), 500):  # stay below every backend's bind-parameter limit
            chunk = wanted[start : start + 500]
            found_parties.update(
                (p.party_no, p) for p in session.scalars(select(Party).where(Party.party_no.in_(chunk)))
            )
        owners = _owner_teams(session, {p.primary_rm_id for p in found_parties.values()})
        for i, number in enumerate(wanted):
            party = found_parties.get(number)
            if party is None:
                problems.append(FieldError(("party_nos", i), "no client with this client number", number))
            elif actor.role is Role.TEAM_LEAD and owners.get(party.primary_rm_id) != actor.team_id:
                problems.append(FieldError(("party_nos", i), "not in your team's book", number))
        if problems:
            raise InputError(
                f"{len(problems)} client number(s) cannot be moved; nothing was moved", errors=problems
            )
        parties = [found_parties[n] for n in wanted]

    names = {
        u.id: u.username
        for u in session.scalars(
            select(User).where(User.id.in_({p.primary_rm_id for p in parties if p.primary_rm_id}))
        )
    }
    moved, unchanged = [], []
    for party in parties:
        if party.primary_rm_id == target.id:
            unchanged.append(party.party_no)
            continue
        before = names.get(party.primary_rm_id, "(none)") if party.primary_rm_id else "(none)"
        party.primary_rm_id = target.id
        party.updated_at = now
        audit.append(
            session, actor, "client.reassign", at=now, party_id=party.id, fields=["primary_rm"],
            detail=f"{before} -> {target.username}",
        )  # fmt: skip
        moved.append(party.party_no)
    session.flush()
    return Reassignment(source.username if source else None, target.username, moved, unchanged)


def _owner_teams(session: Session, user_ids: set[int | None]) -> dict[int | None, int | None]:
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    return {uid: team for uid, team in session.execute(select(User.id, User.team_id).where(User.id.in_(ids)))}
