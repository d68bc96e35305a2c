"""The engagement engine's day, in one transaction: the cadence rules over the book (tasks and
messages), then the steps that build on their tasks and on the book's state: key-person gap tasks,
clients of invitation tasks put on the next event's list, partner offers from signals and offer
tasks. Every step is idempotent, so rerunning a day (or resuming after a killed run, which rolled
back) adds nothing twice. Also the demo content of the community, events and programmes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from fincrm.config import Settings
from fincrm.engagement import community, gatherings, programmes, service


@dataclass(frozen=True)
class Day:
    applied: service.Applied
    gaps: gatherings.GapTasks
    invited: gatherings.FromTasks
    offers: programmes.OffersMade


def run_day(session: Session, settings: Settings, *, on: date, now: datetime) -> Day:
    """Every daily step for business date ``on`` (``now`` stamps what is made)."""
    applied = service.run_daily(session, settings, on=on, now=now)
    gaps = gatherings.make_gap_tasks(session, None, now=now, tz=settings.tz)
    invited = gatherings.invite_from_tasks(session, now=now)
    offers = programmes.run_offers(session, settings, on=on, now=now)
    return Day(applied, gaps, invited, offers)


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> dict[str, int]:
    """The demo institution's content library, brief and Q&A, events, offers and redemptions
    (each part idempotent). Returns what each part added."""
    added = community.seed_demo(session, settings, now=now)
    return {
        "content": sum(added.values()),
        "events": gatherings.seed_demo(session, settings, now=now),
        "programmes": programmes.seed_demo(session, settings, now=now),
    }
