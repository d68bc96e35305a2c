"""API shapes of cross-department cases: the board, a case with its client summary, members,
comments, attachments and sign-offs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from fincrm.cases import joint_domain as jd
from fincrm.cases.joint import CaseCard, CaseDetail, ClientSummary


class CaseCreate(BaseModel):
    client_no: str = Field(max_length=32)
    kind: str = Field(max_length=24, description=", ".join(jd.KINDS))
    title: str = Field(max_length=jd.TITLE_MAX)
    description: str = Field(max_length=jd.DESCRIPTION_MAX, description="the client's need")


class MemberCreate(BaseModel):
    username: str = Field(max_length=64)


class CommentCreate(BaseModel):
    text: str = Field(max_length=jd.TEXT_MAX)


class ProposalBody(BaseModel):
    text: str = Field(max_length=jd.TEXT_MAX)


class AttachmentCreate(BaseModel):
    file_name: str = Field(max_length=jd.FILE_NAME_MAX)
    content_type: str = Field(max_length=100, description=", ".join(jd.ALLOWED_CONTENT_TYPES))
    content_base64: str = Field(
        max_length=(jd.MAX_ATTACHMENT_BYTES * 4) // 3 + 8, description="the file, base64"
    )


class ClientSummaryRead(BaseModel):
    client_no: str
    masked_name: str
    kind: str
    tier: str | None
    aum_amount: Decimal | None = Field(description="reporting currency")
    effective_risk: str | None

    @classmethod
    def of(cls, c: ClientSummary) -> ClientSummaryRead:
        return cls(client_no=c.party_no, masked_name=c.masked_name, kind=c.kind, tier=c.tier, aum_amount=c.aum_amount,
                   effective_risk=c.effective_risk)  # fmt: skip


class CaseRead(BaseModel):
    id: int
    kind: str
    title: str
    need: str
    status: str
    column: str = Field(description=", ".join(jd.BOARD_COLUMNS))
    opened_by: str
    opened_at: datetime
    due_at: datetime
    minutes_left: int = Field(description="to the due time; negative when overdue")
    breached: bool
    escalated_at: datetime | None
    agreed_at: datetime | None
    members: int
    client: ClientSummaryRead

    @classmethod
    def of(cls, c: CaseCard) -> CaseRead:
        k = c.case
        return cls(id=k.id, kind=k.kind, title=k.title, need=k.description, status=k.status, column=c.column,
                   opened_by=c.opener, opened_at=k.opened_at, due_at=k.due_at, minutes_left=c.minutes_left,
                   breached=c.breached, escalated_at=k.escalated_at, agreed_at=k.agreed_at, members=c.members,
                   client=ClientSummaryRead.of(c.client))  # fmt: skip


class BoardRead(BaseModel):
    columns: dict[str, list[CaseRead]]


class MemberRead(BaseModel):
    username: str
    display_name: str
    function: str


class CommentRead(BaseModel):
    id: int
    author: str
    at: datetime
    text: str


class AttachmentRead(BaseModel):
    id: int
    file_name: str
    content_type: str
    size_bytes: int
    at: datetime
    uploaded_by: str


class SignoffRead(BaseModel):
    proposal_version: int
    functions: list[str]
    signed: list[str]
    missing: list[str]


class CaseDetailRead(CaseRead):
    proposal_text: str
    members_list: list[MemberRead]
    comments: list[CommentRead]
    attachments: list[AttachmentRead]
    signoff: SignoffRead
    my_function: str | None

    @classmethod
    def of_detail(cls, d: CaseDetail) -> CaseDetailRead:
        base = CaseRead.of(d.card).model_dump()
        return cls(
            **base, proposal_text=d.card.case.proposal_text,
            members_list=[MemberRead(username=m.username, display_name=m.display_name, function=m.function)
                          for m in d.members],
            comments=[CommentRead(id=c.id, author=u, at=c.at, text=c.text) for c, u in d.comments],
            attachments=[AttachmentRead(id=i, file_name=n, content_type=t, size_bytes=b, at=a, uploaded_by=u)
                         for i, n, t, b, a, u in d.attachments],
            signoff=SignoffRead(proposal_version=d.card.case.proposal_version, functions=list(d.signoff.functions),
                                signed=list(d.signoff.signed), missing=list(d.signoff.missing)),
            my_function=d.me_member,
        )  # fmt: skip
