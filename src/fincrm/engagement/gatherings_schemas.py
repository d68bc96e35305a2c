"""API shapes of client events (invitations, RSVP, attendance) and key-person coverage."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fincrm.engagement import gatherings_domain as gd
from fincrm.engagement.gatherings import (
    CompanyCoverage,
    CoverageSummary,
    EventDetail,
    EventView,
    FromTasks,
    GapTasks,
    InvitationView,
    Suggestion,
)


class KeyPersonRead(BaseModel):
    client_no: str
    name: str
    role: str = Field(description="chairman, decision_maker, cfo or operator")
    last_contact_on: date | None


class LayerRead(BaseModel):
    layer: str = Field(description="decision or operating")
    status: str = Field(description="covered, due or gap (a missing role is a gap)")
    last_contact_on: date | None
    days_since: int | None
    threshold_days: int
    people: list[KeyPersonRead]

    @classmethod
    def of(cls, c: gd.LayerCoverage) -> LayerRead:
        return cls(
            layer=c.layer, status=c.status, last_contact_on=c.last_contact_on, days_since=c.days_since,
            threshold_days=c.threshold_days,
            people=[KeyPersonRead(client_no=p.party_no, name=p.name, role=p.kind, last_contact_on=p.last_contact_on)
                    for p in c.people],
        )  # fmt: skip


class CompanyCoverageRead(BaseModel):
    client_no: str
    name: str
    rm: str
    fully_covered: bool
    decision: LayerRead
    operating: LayerRead

    @classmethod
    def of(cls, c: CompanyCoverage) -> CompanyCoverageRead:
        return cls(client_no=c.party_no, name=c.name, rm=c.rm, fully_covered=c.fully_covered,
                   decision=LayerRead.of(c.layers[gd.DECISION]), operating=LayerRead.of(c.layers[gd.OPERATING]))  # fmt: skip


class ClientCoverageRead(BaseModel):
    client_no: str
    corporate: bool
    coverage: CompanyCoverageRead | None = Field(description="None for an individual client")


class ShareRead(BaseModel):
    key: str = Field(description="RM username or team name")
    companies: int
    covered: int
    decision_gaps: int
    operating_gaps: int
    share: float | None = Field(description="companies with both layers covered, 0..1")

    @classmethod
    def of(cls, s: gd.CoverageShare) -> ShareRead:
        return cls(key=s.key, companies=s.companies, covered=s.covered, decision_gaps=s.decision_gaps,
                   operating_gaps=s.operating_gaps, share=s.share)  # fmt: skip


class CoverageRead(BaseModel):
    on: date
    companies: list[CompanyCoverageRead]
    total: ShareRead
    by_rm: list[ShareRead]
    by_team: list[ShareRead]

    @classmethod
    def of(cls, on: date, rows: list[CompanyCoverage], summary: CoverageSummary) -> CoverageRead:
        return cls(on=on, companies=[CompanyCoverageRead.of(r) for r in rows], total=ShareRead.of(summary.total),
                   by_rm=[ShareRead.of(s) for s in summary.by_rm], by_team=[ShareRead.of(s) for s in summary.by_team])  # fmt: skip


class GapTasksRead(BaseModel):
    companies: int
    gaps: int
    made: int
    already: int
    unassigned: int

    @classmethod
    def of(cls, g: GapTasks) -> GapTasksRead:
        return cls(
            companies=g.companies, gaps=g.gaps, made=g.made, already=g.already, unassigned=g.unassigned
        )


class FromTasksRead(BaseModel):
    tasks: int
    invited: int
    already: int
    no_event: int

    @classmethod
    def of(cls, f: FromTasks) -> FromTasksRead:
        return cls(tasks=f.tasks, invited=f.invited, already=f.already, no_event=f.no_event)


class EventCreate(BaseModel):
    kind: str = Field(
        min_length=2, max_length=32, description="e.g. tax_salon, capital_forum, strategy_meeting"
    )
    title_zh: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    starts_at: datetime = Field(description="with a timezone offset; in the future")
    venue: str = Field(max_length=200)
    capacity: int = Field(ge=1, le=gd.MAX_CAPACITY, description="seats")
    audience: str = Field("", max_length=500, description="who the event is for, in words")
    status: str = Field(gd.PLANNED, max_length=16, description="planned or open")


class EventStatusBody(BaseModel):
    status: str = Field(max_length=16, description="open or closed (closed is final)")


class AttendanceRead(BaseModel):
    invited: int
    pending: int
    accepted: int
    declined: int
    attended: int
    no_show: int
    rate: float | None = Field(description="attended / accepted, 0..1")


class EventRead(BaseModel):
    id: int
    kind: str
    title_zh: str
    title_en: str
    starts_at: datetime
    venue: str
    capacity: int
    audience: str
    organiser: str
    status: str
    accepted_total: int = Field(description="accepted invitations over the whole event")
    seats_left: int
    attendance: AttendanceRead = Field(description="over the invitations the caller may see")

    @classmethod
    def of(cls, v: EventView) -> EventRead:
        e, a = v.event, v.mine
        return cls(
            id=e.id, kind=e.kind, title_zh=e.title_zh, title_en=e.title_en, starts_at=e.starts_at, venue=e.venue,
            capacity=e.capacity, audience=e.audience, organiser=v.organiser, status=e.status,
            accepted_total=v.accepted_total, seats_left=v.seats_left,
            attendance=AttendanceRead(invited=a.invited, pending=a.pending, accepted=a.accepted, declined=a.declined,
                                      attended=a.attended, no_show=a.no_show, rate=a.rate),
        )  # fmt: skip


class InvitationRead(BaseModel):
    id: int
    event_id: int
    client_no: str
    name: str
    company_no: str | None
    company_name: str | None
    invited_by: str
    invited_at: datetime
    channel: str
    source: str
    rsvp: str
    rsvp_at: datetime | None
    attended: bool | None

    @classmethod
    def of(cls, v: InvitationView) -> InvitationRead:
        i = v.invitation
        return cls(
            id=i.id, event_id=i.event_id, client_no=v.party_no, name=v.name, company_no=v.company_no,
            company_name=v.company_name, invited_by=v.invited_by, invited_at=i.invited_at, channel=i.channel,
            source=i.source, rsvp=i.rsvp, rsvp_at=i.rsvp_at, attended=i.attended,
        )  # fmt: skip


class EventDetailRead(BaseModel):
    event: EventRead
    invitations: list[InvitationRead]

    @classmethod
    def of(cls, d: EventDetail) -> EventDetailRead:
        return cls(event=EventRead.of(d.view), invitations=[InvitationRead.of(v) for v in d.invitations])


class InvitationCreate(BaseModel):
    client_no: str = Field(min_length=1, max_length=32)
    company_no: str | None = Field(
        None, max_length=32, description="for a key person: the corporate client they are invited for"
    )
    channel: str = Field(
        "phone", max_length=16, description="phone, visit, wechat, sms, email, event, branch, app"
    )


class RsvpBody(BaseModel):
    rsvp: str = Field(max_length=16, description="pending, accepted or declined")


class AttendanceBody(BaseModel):
    attended: bool


class SuggestionRead(BaseModel):
    client_no: str
    name: str
    company_no: str | None
    company_name: str | None
    role: str

    @classmethod
    def of(cls, s: Suggestion) -> SuggestionRead:
        return cls(client_no=s.party_no, name=s.name, company_no=s.company_no, company_name=s.company_name,
                   role=s.role)  # fmt: skip


class SuggestionsRead(BaseModel):
    audience: str
    suggestions: list[SuggestionRead]
