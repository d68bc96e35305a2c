"""Every API route × every kind of caller: the decision is written down here, once.

The routes are read from the app's OpenAPI document, so a route added anywhere appears here
automatically, and a route missing from ``EXPECTED`` fails the test with its name: whoever adds a
route must decide who may call it. Expected statuses: 2xx allowed, 401 not signed in, 403 role not
allowed, 404 the client is outside the caller's scope (its existence is not revealed).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access import service as access_service
from fincrm.access.models import User
from fincrm.clients import service as clients_service
from fincrm.clients.models import Coverage, Party
from fincrm.db.uow import unit_of_work
from fincrm.engagement import tasks as engagement_tasks
from fincrm.engagement.models import OutboxMessage
from fincrm.errors import InputError
from fincrm.portfolio import service as portfolio_service
from fincrm.reports import service as reports_service
from fincrm.web.app import create_app
from tests.web.conftest import NOW, sign_in
from tests.web.test_crisis import matrix_draft
from tests.web.test_drills import ANSWER as DRILL_ANSWER
from tests.web.test_drills import matrix_drill
from tests.web.test_precall import fresh_question, spin_ready
from tests.web.test_testimonials import fresh_testimonial

SUBJECTS = ("rm_own", "rm_other", "team_lead", "research", "compliance", "admin", "anonymous")
USERS = {
    "rm_own": "rm001", "rm_other": "rm001", "team_lead": "lead01", "research": "research01",
    "compliance": "compliance01", "admin": "admin01",
}  # fmt: skip
# rm_other asks about a client outside rm001's book and outside lead01's team; every other subject
# asks about a client of rm001 (so inside lead01's team).


def row(rm_own: int, rm_other: int, team_lead: int, research: int, compliance: int, admin: int) -> dict:
    return dict(zip(SUBJECTS, (rm_own, rm_other, team_lead, research, compliance, admin, 401), strict=True))


def staff(ok: int = 200) -> dict:
    return row(ok, ok, ok, ok, ok, ok)


def admin_only(ok: int = 200) -> dict:
    return row(403, 403, 403, 403, 403, ok)


CLIENT_READERS = row(200, 200, 200, 200, 200, 403)  # lists scoped to the caller's book; admin reads none
CLIENT_READ = row(200, 404, 200, 404, 200, 403)  # research: no shared case yet, so nothing in scope


def client_write(ok: int) -> dict:
    return row(ok, 404, ok, 404, 403, 403)  # compliance reads but changes no client records


MEMORY = {"category": "hobby", "text": "周末钓鱼"}
C = "/api/v1/clients/{party_no}"


@dataclass(frozen=True)
class Expect:
    statuses: dict[str, int]
    json: Callable[[Case], Any] | None = None
    params: Callable[[Case], dict] | None = None


@dataclass
class Case:
    subject: str
    party_no: str
    world: World


EXPECTED: dict[tuple[str, str], Expect] = {
    # access
    ("GET", "/api/v1/me"): Expect(staff()),
    ("PUT", "/api/v1/me/locale"): Expect(staff(), json=lambda c: {"locale": "zh-CN"}),
    # administration
    ("GET", "/api/v1/admin/users"): Expect(admin_only()),
    ("POST", "/api/v1/admin/users"): Expect(admin_only(201), json=lambda c: c.world.new_user_body()),
    ("POST", "/api/v1/admin/users/{username}/deactivate"): Expect(admin_only()),
    ("POST", "/api/v1/admin/users/{username}/reactivate"): Expect(admin_only()),
    ("PUT", "/api/v1/admin/users/{username}/password"): Expect(
        admin_only(204), json=lambda c: {"password": "matrix-pass-01"}
    ),
    ("GET", "/api/v1/admin/teams"): Expect(admin_only()),
    ("GET", "/api/v1/admin/tokens"): Expect(admin_only()),
    ("POST", "/api/v1/admin/tokens"): Expect(
        admin_only(201), json=lambda c: {"username": "research01", "name": "matrix"}
    ),
    ("DELETE", "/api/v1/admin/tokens/{token_id}"): Expect(admin_only(204)),
    ("GET", "/api/v1/admin/assignments"): Expect(row(403, 403, 200, 403, 403, 200)),
    ("POST", "/api/v1/admin/assignments"): Expect(  # a no-op move: the client stays with rm001
        row(403, 403, 200, 403, 403, 200), json=lambda c: {"party_nos": [c.party_no], "to_rm": "rm001"}
    ),
    # audit trail
    ("GET", "/api/v1/audit"): Expect(
        row(403, 403, 403, 403, 200, 403), params=lambda c: {"party_no": c.party_no}
    ),
    # clients
    ("GET", "/api/v1/clients/search"): Expect(CLIENT_READERS, params=lambda c: {"q": "1"}),
    ("GET", "/api/v1/book"): Expect(CLIENT_READERS),
    ("GET", f"{C}/profile"): Expect(CLIENT_READ),
    ("GET", f"{C}/relationships"): Expect(CLIENT_READ),
    ("GET", f"{C}/holdings"): Expect(CLIENT_READ),
    ("GET", f"{C}/interactions"): Expect(CLIENT_READ),
    ("GET", f"{C}/memory-points"): Expect(CLIENT_READ),
    ("POST", f"{C}/memory-points"): Expect(client_write(201), json=lambda c: MEMORY),
    ("PUT", f"{C}/memory-points/{{point_id}}"): Expect(client_write(200), json=lambda c: MEMORY),
    ("DELETE", f"{C}/memory-points/{{point_id}}"): Expect(client_write(204)),
    ("GET", f"{C}/consents"): Expect(CLIENT_READ),
    ("GET", f"{C}/risk"): Expect(CLIENT_READ),
    ("POST", f"{C}/reveal"): Expect(row(200, 404, 200, 403, 200, 403), json=lambda c: {"field": "phone"}),
    ("GET", f"{C}/intelligence"): Expect(CLIENT_READ),
    # intelligence batch results
    ("GET", "/api/v1/segments"): Expect(CLIENT_READERS),
    ("GET", "/api/v1/batch/lift"): Expect(staff()),  # institution-wide aggregates, no personal data
    ("GET", "/api/v1/batch/runs"): Expect(staff()),
    ("GET", "/api/v1/benefits"): Expect(staff()),
    # portfolio lab: RMs and team leads propose and change; compliance reads, checks and decides
    ("POST", f"{C}/proposals"): Expect(
        row(201, 404, 201, 403, 403, 403), json=lambda c: {"invest_amount": "1000000"}
    ),
    ("GET", f"{C}/proposals"): Expect(CLIENT_READ),
    ("GET", "/api/v1/proposals/{proposal_id}"): Expect(CLIENT_READ),
    ("POST", "/api/v1/proposals/{proposal_id}/check"): Expect(
        CLIENT_READ, json=lambda c: {"weights": c.world.override_weights(c.party_no)}
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/override"): Expect(
        row(200, 404, 200, 404, 403, 403),
        json=lambda c: {"weights": c.world.override_weights(c.party_no), "reason": "矩阵测试"},
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/actions"): Expect(  # review: for RMs and team leads only
        row(200, 404, 200, 403, 403, 403), json=lambda c: {"action": "review"}
    ),
    ("GET", "/api/v1/compliance/proposals"): Expect(row(403, 403, 403, 403, 200, 403)),
    # product facts only, no client data: every signed-in staff member
    ("GET", "/api/v1/products/compare"): Expect(staff(), params=lambda c: {"codes": "BF001,EF001"}),
    # reports: RMs and team leads generate; whoever reads the client reads its reports (audited)
    ("POST", f"{C}/reports"): Expect(
        row(201, 404, 201, 403, 403, 403), json=lambda c: {"kind": "health_check"}
    ),
    ("GET", f"{C}/reports"): Expect(CLIENT_READ),
    ("GET", "/api/v1/reports/{report_id}"): Expect(CLIENT_READ),
    ("GET", "/api/v1/reports/{report_id}/pdf"): Expect(CLIENT_READ),
    ("GET", "/api/v1/reports/{report_id}/html"): Expect(CLIENT_READ),
    # engagement: tasks are for RMs (their own) and team leads (their team's)
    ("GET", "/api/v1/my-day"): Expect(row(200, 200, 200, 403, 403, 403)),
    ("GET", "/api/v1/tasks/sla"): Expect(row(200, 200, 200, 403, 403, 403)),
    ("POST", "/api/v1/tasks/{task_id}/complete"): Expect(
        row(200, 404, 200, 403, 403, 403), json=lambda c: {"outcome": "客户已接听", "channel": "phone"}
    ),
    ("POST", "/api/v1/tasks/{task_id}/snooze"): Expect(
        row(200, 404, 200, 403, 403, 403),
        json=lambda c: {"until": (NOW + timedelta(hours=3)).isoformat(), "reason": "出差"},
    ),
    ("POST", "/api/v1/tasks/{task_id}/reassign"): Expect(
        row(200, 404, 200, 403, 403, 403), json=lambda c: {"to": "lead01"}
    ),
    # events come from integration accounts (administrator role); rules are read by all staff,
    # switched by team leads and administrators; held messages are for compliance
    ("POST", "/api/v1/events"): Expect(
        row(403, 403, 403, 403, 403, 202),
        json=lambda c: {
            "idempotency_key": f"matrix-{next(c.world._serial)}",
            "kind": "account_opened",
            "client_no": c.party_no,
            "occurred_at": NOW.isoformat(),
            "payload": {},
        },
    ),
    ("GET", "/api/v1/engagement/rules"): Expect(staff()),
    ("PUT", "/api/v1/engagement/rules/{key}"): Expect(
        row(403, 403, 200, 403, 403, 200), json=lambda c: {"enabled": True}
    ),
    ("GET", "/api/v1/engagement/rules/{key}/dry-run"): Expect(staff()),
    ("GET", "/api/v1/compliance/messages"): Expect(row(403, 403, 403, 403, 200, 403)),
    ("POST", "/api/v1/compliance/messages/{message_id}/decision"): Expect(
        row(403, 403, 403, 403, 200, 403), json=lambda c: {"approve": False, "reason": "矩阵测试"}
    ),
    # --- community: content library, morning brief, weekly Q&A (community_api.py) ---
    ("GET", "/api/v1/content"): Expect(staff()),  # the library holds no client data
    ("POST", "/api/v1/content"): Expect(
        row(201, 201, 201, 201, 403, 403),
        json=lambda c: {
            "kind": "insight",
            "title_zh": "矩阵测试",
            "title_en": "matrix",
            "summary_zh": "矩阵",
            "summary_en": "matrix",
            "author": "矩阵",
            "industry_codes": ["C38"],
            "topics": ["macro"],
            "published_on": NOW.date().isoformat(),
        },
    ),
    ("GET", "/api/v1/content/{piece_id}"): Expect(staff()),
    ("GET", f"{C}/content"): Expect(CLIENT_READ),
    ("GET", "/api/v1/briefs"): Expect(staff()),  # published briefs are for all staff
    ("POST", "/api/v1/briefs"): Expect(
        row(200, 200, 200, 200, 403, 403),
        json=lambda c: {"text_zh": "矩阵测试早报", "text_en": "matrix brief"},
    ),
    ("POST", "/api/v1/briefs/{brief_id}/publish"): Expect(row(200, 200, 200, 200, 403, 403)),
    ("POST", "/api/v1/briefs/{brief_id}/distribute"): Expect(  # to the caller's own book only
        row(200, 200, 200, 403, 403, 403), json=lambda c: {"channel": "in_app"}
    ),
    ("GET", "/api/v1/qa/sessions"): Expect(staff()),
    ("POST", "/api/v1/qa/sessions"): Expect(
        row(403, 403, 201, 201, 403, 403),
        json=lambda c: {"title_zh": "矩阵问答", "title_en": "matrix Q&A", "live_on": NOW.date().isoformat()},
    ),
    ("GET", "/api/v1/qa/sessions/{session_id}"): Expect(staff()),
    # questions: the client's RM, or an integration account
    ("POST", "/api/v1/qa/sessions/{session_id}/questions"): Expect(
        row(201, 404, 201, 403, 403, 201),
        json=lambda c: {"client_no": c.party_no, "text": "明年怎么配置？", "topic": "macro"},
    ),
    ("POST", "/api/v1/qa/sessions/{session_id}/choose"): Expect(
        row(403, 403, 200, 200, 403, 403), json=lambda c: {"count": 3}
    ),
    ("POST", "/api/v1/qa/sessions/{session_id}/answers"): Expect(
        row(403, 403, 200, 200, 403, 403),
        json=lambda c: {
            "group_id": c.world._community_group,
            "answer_zh": "分散配置。",
            "answer_en": "Diversify.",
        },
    ),
    ("POST", "/api/v1/qa/sessions/{session_id}/publish"): Expect(
        row(403, 403, 200, 200, 403, 403), json=lambda c: {"channel": "in_app"}
    ),
    # --- client events and key-person coverage (gatherings_api.py) ---
    # coverage lists the caller's book; RMs and team leads make gap tasks, organise events and invite
    # their clients; every reader of client data sees the events with the invitations of their scope
    ("GET", "/api/v1/coverage"): Expect(CLIENT_READERS),
    ("POST", "/api/v1/coverage/gap-tasks"): Expect(row(200, 200, 200, 403, 403, 403)),
    ("GET", f"{C}/coverage"): Expect(CLIENT_READ),
    ("GET", "/api/v1/client-events"): Expect(CLIENT_READERS),
    ("POST", "/api/v1/client-events"): Expect(
        row(201, 201, 201, 403, 403, 403),
        json=lambda c: {
            "kind": "tax_salon",
            "title_zh": "矩阵沙龙",
            "title_en": "Matrix salon",
            "venue": "矩阵厅",
            "capacity": 20,
            "starts_at": (NOW + timedelta(days=10)).isoformat(),
            "status": "open",
        },
    ),  # fmt: skip
    ("GET", "/api/v1/client-events/{event_id}"): Expect(CLIENT_READERS),
    ("POST", "/api/v1/client-events/{event_id}/status"): Expect(  # the organiser (the client's RM) or a lead
        row(200, 403, 200, 403, 403, 403), json=lambda c: {"status": "closed"}
    ),
    ("GET", "/api/v1/client-events/{event_id}/suggestions"): Expect(row(200, 200, 200, 403, 403, 403)),
    ("POST", "/api/v1/client-events/{event_id}/invitations"): Expect(
        row(201, 404, 201, 403, 403, 403), json=lambda c: {"client_no": c.party_no, "channel": "phone"}
    ),
    ("POST", "/api/v1/client-events/{event_id}/invitations/{invitation_id}/rsvp"): Expect(
        row(200, 404, 200, 403, 403, 403), json=lambda c: {"rsvp": "accepted"}
    ),
    ("POST", "/api/v1/client-events/{event_id}/invitations/{invitation_id}/attendance"): Expect(
        row(200, 404, 200, 403, 403, 403), json=lambda c: {"attended": True}
    ),
    # --- tier benefits and partners (programmes_api.py) ---
    # entitlements, offers and referrals are client data (the reader's book); RMs and team leads record
    # uses, move offers and referrals on and refer clients; the partner catalogue holds no client data
    ("GET", f"{C}/benefits"): Expect(CLIENT_READ),
    ("POST", f"{C}/benefits/{{benefit_key}}/redemptions"): Expect(
        client_write(201), json=lambda c: {"quantity": 1}
    ),
    ("GET", "/api/v1/benefits/usage"): Expect(CLIENT_READERS),
    ("GET", "/api/v1/partners"): Expect(staff()),
    ("GET", "/api/v1/offers"): Expect(CLIENT_READERS),
    ("GET", f"{C}/offers"): Expect(CLIENT_READ),
    ("POST", "/api/v1/offers/{offer_id}/status"): Expect(
        client_write(200), json=lambda c: {"status": "presented"}
    ),
    ("POST", "/api/v1/offers/{offer_id}/referral"): Expect(
        client_write(201), json=lambda c: {"client_consented": True}
    ),
    ("POST", f"{C}/referrals"): Expect(
        client_write(201), json=lambda c: {"partner_key": "hengzheng_law", "client_consented": True}
    ),
    ("GET", "/api/v1/referrals"): Expect(CLIENT_READERS),
    ("GET", "/api/v1/referrals/conversion"): Expect(CLIENT_READERS),
    ("POST", "/api/v1/referrals/{referral_id}/status"): Expect(
        client_write(200), json=lambda c: {"status": "contacted"}
    ),
    ("GET", "/api/v1/team/dashboard"): Expect(row(200, 200, 200, 403, 403, 403)),  # RMs and leads
    ("GET", "/api/v1/team/dashboard.xlsx"): Expect(row(200, 200, 200, 403, 403, 403)),
    # complaints: RMs their book, team leads the team's, compliance all (and may be assigned); research and
    # admin none. Cross-department cases: members and the team lead; research and compliance as members see
    # the case (not the client); the RMs and the lead manage members and close; each member signs off.
    ("GET", "/api/v1/complaints"): Expect(row(200, 200, 200, 403, 200, 403)),
    ("POST", "/api/v1/complaints"): Expect(
        row(201, 404, 201, 403, 201, 403),
        json=lambda c: {
            "client_no": c.party_no,
            "channel": "phone",
            "category": "fees",
            "severity": "low",
            "description": "矩阵投诉",
        },
    ),  # fmt: skip
    ("GET", "/api/v1/complaints/rates"): Expect(row(200, 200, 200, 403, 200, 403)),
    ("GET", f"{C}/complaints"): Expect(row(200, 404, 200, 403, 200, 403)),
    ("GET", "/api/v1/complaints/{complaint_no}"): Expect(row(200, 404, 200, 403, 200, 403)),
    ("POST", "/api/v1/complaints/{complaint_no}/assign"): Expect(
        row(200, 404, 200, 403, 200, 403), json=lambda c: {"username": "compliance01"}
    ),
    ("POST", "/api/v1/complaints/{complaint_no}/notes"): Expect(
        row(201, 404, 201, 403, 201, 403), json=lambda c: {"text": "矩阵备注"}
    ),
    ("POST", "/api/v1/complaints/{complaint_no}/response"): Expect(
        row(200, 404, 200, 403, 200, 403), json=lambda c: {"text": "已回复客户"}
    ),
    ("POST", "/api/v1/complaints/{complaint_no}/resolution"): Expect(
        row(200, 404, 200, 403, 200, 403),
        json=lambda c: {"summary": "已解决", "compensation_amount": "10.00", "compensation_currency": "CNY"},
    ),  # fmt: skip
    ("POST", "/api/v1/complaints/{complaint_no}/feedback"): Expect(
        row(200, 404, 200, 403, 200, 403), json=lambda c: {"satisfaction": "satisfied", "score": 5}
    ),
    ("POST", "/api/v1/complaints/{complaint_no}/reopen"): Expect(
        row(200, 404, 200, 403, 200, 403), json=lambda c: {"reason": "客户仍不满意"}
    ),
    ("POST", "/api/v1/complaints/{complaint_no}/close"): Expect(row(200, 404, 200, 403, 200, 403)),
    ("GET", "/api/v1/cases"): Expect(row(200, 200, 200, 200, 200, 403)),
    ("POST", "/api/v1/cases"): Expect(
        row(201, 404, 201, 403, 403, 403),
        json=lambda c: {
            "client_no": c.party_no,
            "kind": "family_trust",
            "title": "矩阵工单",
            "description": "矩阵需求",
        },
    ),  # fmt: skip
    ("GET", "/api/v1/cases/{case_id}"): Expect(row(200, 404, 200, 200, 200, 403)),
    ("POST", "/api/v1/cases/{case_id}/members"): Expect(
        row(201, 404, 201, 403, 403, 403), json=lambda c: {"username": "research02"}
    ),
    ("POST", "/api/v1/cases/{case_id}/comments"): Expect(
        row(201, 404, 201, 201, 201, 403), json=lambda c: {"text": "矩阵评论"}
    ),
    ("POST", "/api/v1/cases/{case_id}/attachments"): Expect(
        row(201, 404, 201, 201, 201, 403),
        json=lambda c: {
            "file_name": "matrix.txt",
            "content_type": "text/plain",
            "content_base64": "bWF0cml4",
        },
    ),
    ("GET", "/api/v1/cases/{case_id}/attachments/{attachment_id}"): Expect(row(200, 404, 200, 200, 200, 403)),
    ("POST", "/api/v1/cases/{case_id}/proposal"): Expect(
        row(200, 404, 200, 200, 200, 403), json=lambda c: {"text": "矩阵联合方案"}
    ),
    ("POST", "/api/v1/cases/{case_id}/signoff"): Expect(row(200, 404, 403, 200, 200, 403)),
    ("POST", "/api/v1/cases/{case_id}/close"): Expect(row(200, 404, 200, 403, 403, 403)),
    # --- crisis communication (crisis_api.py): RMs and team leads draft, edit and send for their book;
    # compliance reads every draft and decides held ones; the fall itself is market data for all staff.
    # A client's open draft is made fresh for each call by the json/params function (it runs before the
    # request): tests/web/test_crisis.py matrix_draft.
    ("GET", "/api/v1/crisis/fall"): Expect(staff()),
    ("GET", "/api/v1/crisis/affected"): Expect(row(200, 200, 200, 403, 403, 403)),
    ("POST", "/api/v1/crisis/drafts"): Expect(
        row(201, 404, 201, 403, 403, 403), json=lambda c: {"client_nos": [c.party_no], "action": "hold"}
    ),
    ("GET", "/api/v1/crisis/drafts"): Expect(CLIENT_READERS),
    ("POST", f"{C}/crisis-drafts"): Expect(
        row(201, 404, 201, 403, 403, 403), json=lambda c: {"action": "hold"}
    ),
    ("GET", f"{C}/crisis-drafts"): Expect(CLIENT_READ),
    ("GET", f"{C}/crisis-draft"): Expect(CLIENT_READ, params=lambda c: matrix_draft(c) or {}),
    ("PUT", f"{C}/crisis-draft"): Expect(
        row(200, 404, 200, 403, 403, 403),
        json=lambda c: matrix_draft(c, body="我理解您的担心。"),
    ),
    ("POST", f"{C}/crisis-draft/send"): Expect(
        row(200, 404, 200, 403, 403, 403),
        json=lambda c: matrix_draft(c),
    ),
    ("POST", f"{C}/crisis-draft/decision"): Expect(
        row(403, 403, 403, 403, 200, 403),
        json=lambda c: matrix_draft(c, held=True),
    ),
    ("POST", "/api/v1/crisis/reports"): Expect(
        row(200, 404, 200, 403, 403, 403), json=lambda c: {"client_nos": [c.party_no]}
    ),
    ("POST", "/api/v1/crisis/meetings"): Expect(
        row(201, 404, 201, 403, 403, 403),
        json=lambda c: {
            "client_nos": [c.party_no],
            "title_zh": "矩阵策略会",
            "title_en": "Matrix meeting",
            "starts_at": (NOW + timedelta(days=7)).isoformat(),
            "venue": "矩阵厅",
        },
    ),  # fmt: skip
    # --- extreme-market drills (drills_api.py): team leads assign and review their team's drills, an RM
    # answers their own; nobody else reads drills. Fresh drills from tests/web/test_drills.py matrix_drill.
    ("GET", "/api/v1/drills/scenarios"): Expect(staff()),
    ("GET", "/api/v1/drills"): Expect(row(200, 200, 200, 403, 403, 403)),
    ("POST", "/api/v1/drills"): Expect(
        row(403, 403, 201, 403, 403, 403), json=lambda c: {"scenario_key": "account_down_30", "rm": "rm001"}
    ),
    ("POST", "/api/v1/drills/{drill_id}/answer"): Expect(
        row(200, 200, 403, 403, 403, 403), json=lambda c: {"message": DRILL_ANSWER}
    ),
    ("POST", "/api/v1/drills/{drill_id}/review"): Expect(
        row(403, 403, 200, 403, 403, 403), json=lambda c: {"adjustment": 0, "comment": "矩阵测试"}
    ),
    ("GET", "/api/v1/drills/scores"): Expect(row(200, 200, 200, 403, 403, 403)),
    # --- testimonials (cases/testimonials_api.py): stories are client data of the teller's book; RMs and team
    # leads record and use them, compliance may also withdraw one; the sweep returns counts only ---
    ("GET", "/api/v1/testimonials"): Expect(CLIENT_READERS),
    ("GET", f"{C}/testimonials"): Expect(CLIENT_READ),
    ("POST", f"{C}/testimonials"): Expect(
        row(201, 404, 201, 403, 403, 403),
        json=lambda c: {
            "story_zh": "矩阵见证",
            "story_en": "Matrix story",
            "attribution_zh": "王女士",
            "attribution_en": "Ms Wang",
            "scopes": ["content_library"],
            "method": "app",
            "given_on": str(NOW.date()),
            "expires_on": str(NOW.date() + timedelta(days=30)),
        },
    ),
    ("POST", "/api/v1/testimonials/{testimonial_id}/uses"): Expect(
        row(201, 404, 201, 403, 403, 403),
        json=lambda c: {
            "target_kind": "content_piece",
            "new_piece": {
                "title_zh": "矩阵",
                "title_en": "Matrix",
                "summary_zh": "矩阵",
                "summary_en": "Matrix",
            },
        },
    ),
    ("POST", "/api/v1/testimonials/{testimonial_id}/withdrawal"): Expect(
        row(200, 404, 200, 403, 200, 403), json=lambda c: {"reason": "matrix"}
    ),
    ("POST", "/api/v1/testimonials/sweep"): Expect(row(403, 403, 200, 403, 200, 200)),
    # --- pre-call brief and SPIN library (team/precall_api.py): the brief is a client read like the 360; the
    # library holds no client data (every staff member reads it) and team leads edit it ---
    ("GET", f"{C}/pre-call"): Expect(CLIENT_READ),
    ("GET", "/api/v1/spin"): Expect(staff()),
    ("POST", "/api/v1/spin/questions"): Expect(
        row(403, 403, 201, 403, 403, 403),
        json=lambda c: (
            spin_ready(c.world.institution),
            {"topic": "education", "stage": "problem", "text_zh": "矩阵？", "text_en": "Matrix?"},
        )[1],
    ),
    ("PUT", "/api/v1/spin/questions/{question_key}"): Expect(
        row(403, 403, 200, 403, 403, 403),
        json=lambda c: {"stage": "need_payoff", "text_zh": "矩阵？", "text_en": "Matrix?"},
    ),
    ("POST", "/api/v1/spin/questions/{question_key}/retirement"): Expect(row(403, 403, 200, 403, 403, 403)),
}


@dataclass
class World:
    """The demo institution, one signed-in client per subject, and what path parameters point at."""

    institution: Any
    clients: dict[str, TestClient]
    csrf: dict[str, str]
    own_party: str
    other_party: str
    _serial: Iterator[int] = field(default_factory=itertools.count)
    _proposals: dict[str, tuple[int, dict[str, float]]] = field(default_factory=dict)
    _reports: dict[str, int] = field(default_factory=dict)

    def new_user_body(self) -> dict:
        return {
            "username": f"matrix_new{next(self._serial)}", "display_name": "矩阵", "role": "research",
            "password": "matrix-pass-01",
        }  # fmt: skip

    def memory_point(self, party_no: str) -> int:
        """A fresh memory point on the client, written by its primary RM (a DELETE may remove it)."""
        with unit_of_work(self.institution.sessions) as s:
            rm = s.scalars(
                select(User).join(Party, Party.primary_rm_id == User.id).where(Party.party_no == party_no)
            ).one()
            point = clients_service.add_memory_point(
                s, access_service.principal_of(rm), party_no, category="other", text="矩阵测试", now=NOW
            )
            return point.id

    def proposal(self, party_no: str, *, fresh: bool = False) -> tuple[int, dict[str, float]]:
        """A draft proposal for the client, prepared by its primary RM (shared unless ``fresh``:
        a review step moves a proposal on, so each such call gets its own draft)."""
        if not fresh and party_no in self._proposals:
            return self._proposals[party_no]
        with unit_of_work(self.institution.sessions) as s:
            rm = s.scalars(
                select(User).join(Party, Party.primary_rm_id == User.id).where(Party.party_no == party_no)
            ).one()
            # outside rm001's scope any of that RM's clients will do; the first ones may have an expired
            # questionnaire, which blocks new proposals
            book = s.scalars(
                select(Party.party_no).where(Party.primary_rm_id == rm.id).order_by(Party.party_no)
            )
            candidates = [party_no] if party_no == self.own_party else list(book)
            principal = access_service.principal_of(rm)
        found = None
        for candidate in candidates:
            try:
                with unit_of_work(self.institution.sessions) as s:
                    made = portfolio_service.create_proposal(
                        s, principal, candidate, settings=self.institution.settings,
                        invest_amount=Decimal("1000000"), now=NOW,
                    )  # fmt: skip
                    found = (made.id, json.loads(made.weights))
                break
            except InputError:
                continue
        assert found is not None, f"no client of {rm.username} can get a proposal"
        if not fresh:
            self._proposals[party_no] = found
        return found

    def report(self, party_no: str) -> int:
        """A stored health check of the client (made by its primary RM), shared by the subjects."""
        if party_no not in self._reports:
            with unit_of_work(self.institution.sessions) as s:
                rm = s.scalars(
                    select(User).join(Party, Party.primary_rm_id == User.id).where(Party.party_no == party_no)
                ).one()
                made = reports_service.generate_report(
                    s, access_service.principal_of(rm), self.institution.settings, kind="health_check",
                    party_no=party_no, as_of=NOW.date(), lang="zh-CN", now=NOW,
                )  # fmt: skip
                self._reports[party_no] = made.id
        return self._reports[party_no]

    def task(self, party_no: str) -> int:
        """A fresh open task for the client, assigned to its primary RM (each call its own: actions close it)."""
        with unit_of_work(self.institution.sessions) as s:
            party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
            made = engagement_tasks.insert_task(
                s, party=party, assignee_id=party.primary_rm_id, rule_key="matrix",
                idempotency_key=f"matrix:{party_no}:{next(self._serial)}", title_zh="矩阵测试",
                title_en="matrix", due_at=NOW + timedelta(hours=1), priority=3, now=NOW,
            )  # fmt: skip
            return made.id

    def held_message(self, party_no: str) -> int:
        """A message held for compliance (a fresh one each call: a decision closes it)."""
        with unit_of_work(self.institution.sessions) as s:
            party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
            message = OutboxMessage(
                idempotency_key=f"matrix-held-{next(self._serial)}", party_id=party.id, rule_key="matrix",
                template_key="birthday", channel="sms", lang="zh-CN", recipient="13800000000", body="保本保收益",
                marketing=False, status="held", reason_code="forbidden_promise", reason="matrix", attempts=0,
                next_attempt_at=NOW, created_at=NOW,
            )  # fmt: skip
            s.add(message)
            s.flush()
            return message.id

    def override_weights(self, party_no: str) -> dict[str, float]:
        """The proposal's weights without dust positions (under 1 %), the rest added to the largest."""
        weights = self.proposal(party_no)[1]
        kept = {c: w for c, w in weights.items() if w >= 0.01}
        largest = max(kept, key=kept.get)
        kept[largest] = round(1 - sum(w for c, w in kept.items() if c != largest), 6)
        return kept

    def token(self) -> int:
        with unit_of_work(self.institution.sessions) as s:
            admin = access_service.principal_of(
                s.scalars(select(User).where(User.username == "admin01")).one()
            )
            token, _secret = access_service.issue_api_token(
                s, admin, username="research01", name="matrix", now=NOW
            )
            return token.id

    def client_event(self, party_no: str, *, invite: bool) -> tuple[int, int]:
        """A fresh open event that started an hour ago, organised by the client's primary RM, with the
        client invited and accepted when ``invite`` (each call its own: status and answers change it)."""
        from fincrm.engagement import gatherings

        with unit_of_work(self.institution.sessions) as s:
            rm = s.scalars(
                select(User).join(Party, Party.primary_rm_id == User.id).where(Party.party_no == party_no)
            ).one()
            me = access_service.principal_of(rm)
            event = gatherings.create_event(
                s, me, kind="tax_salon", title_zh="矩阵沙龙", title_en="Matrix salon", venue="矩阵厅", capacity=50,
                starts_at=NOW - timedelta(hours=1), status="open", now=NOW - timedelta(days=1),
            )  # fmt: skip
            if not invite:
                return event.id, 0
            made = gatherings.invite(s, me, event.id, party_no=party_no, now=NOW - timedelta(hours=2))
            gatherings.set_rsvp(s, me, event.id, made.id, rsvp="accepted", now=NOW - timedelta(hours=2))
            return event.id, made.id

    def community_item(self, path: str, case: Case) -> str:
        """What a community path points at, made fresh for the subject where an action moves it on: a
        content piece; a draft (or published) brief of the subject's desk on a day of its own; a Q&A
        session collecting, or chosen with its group answered (its group id kept for the body)."""
        from fincrm.engagement import community
        from fincrm.engagement.community_models import MorningBrief
        from fincrm.errors import PermissionDenied

        user = USERS.get(case.subject, "rm001")
        with unit_of_work(self.institution.sessions) as s:
            me = access_service.principal_of(s.scalars(select(User).where(User.username == user)).one())
            research = access_service.principal_of(
                s.scalars(select(User).where(User.username == "research01")).one()
            )
            settings = self.institution.settings
            if "{piece_id}" in path:
                draft = community.dom.PieceDraft(
                    title_zh="矩阵研报", title_en="matrix", summary_zh="矩阵", summary_en="matrix", body_zh="", body_en="",
                    author="矩阵", kind="research", industry_codes=("C38",), topics=(), published_on=NOW.date(),
                )  # fmt: skip
                return str(community.add_piece(s, research, settings, draft=draft, now=NOW).id)
            if "{brief_id}" in path:
                try:
                    desk = community.desk_of(me)
                except PermissionDenied:  # compliance and admin write no brief: any desk will do
                    desk = community.RESEARCH_DESK
                published = path.endswith("/distribute")
                brief = MorningBrief(
                    desk=desk, brief_on=NOW.date() - timedelta(days=1 + next(self._serial)), text_zh="矩阵测试早报",
                    text_en="matrix brief", status="published" if published else "draft", author_id=me.user_id,
                    created_at=NOW, updated_at=NOW, published_at=NOW if published else None,
                )  # fmt: skip
                s.add(brief)
                s.flush()
                return str(brief.id)
            qa = community.create_session(
                s, research, title_zh="矩阵问答", title_en="matrix", live_on=NOW.date(), now=NOW
            )
            if path.endswith("/questions") or "/" not in path.split("{session_id}")[1]:
                return str(qa.id)
            lead = access_service.principal_of(s.scalars(select(User).where(User.username == "lead01")).one())
            community.add_question(
                s, lead, qa.id, party_no=self.own_party, text="明年怎么配置？", topic="macro", now=NOW
            )
            if path.endswith("/choose"):
                return str(qa.id)
            group = community.choose_top(s, research, qa.id, count=1, now=NOW)[0]
            self._community_group = group.id
            if path.endswith("/publish"):
                community.answer_group(s, research, settings, qa.id, group_id=group.id, answer_zh="分散配置。",
                                       answer_en="Diversify.", now=NOW)  # fmt: skip
            return str(qa.id)

    def programmes_benefit(self, party_no: str) -> str:
        """A benefit of the client's current tier that takes two more uses (the nightly batch is run
        once if no profile exists yet, since entitlements follow the tier)."""
        from fincrm.clients.profile_models import VERSION_CURRENT, ClientProfile, ProfileVersion
        from fincrm.intelligence import batch
        from fincrm.intelligence.benefits import load_benefits
        from tests.web.conftest import AS_OF

        with unit_of_work(self.institution.sessions) as s:
            current = s.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
        if current is None:
            batch.run(self.institution.sessions, self.institution.settings, self.institution.clock, as_of=AS_OF,
                      engine="duckdb")  # fmt: skip
        with unit_of_work(self.institution.sessions) as s:
            tier = s.scalar(
                select(ClientProfile.tier).join(ProfileVersion, ProfileVersion.id == ClientProfile.version_id)
                .join(Party, Party.id == ClientProfile.party_id)
                .where(ProfileVersion.status == VERSION_CURRENT, Party.party_no == party_no)
            )  # fmt: skip
        benefits = load_benefits(self.institution.settings.benefits_path)[tier]
        return max(benefits, key=lambda b: b.allowance_per_year or 10**9).key

    def programmes_offer(self, party_no: str, *, accepted: bool) -> int:
        """A fresh new-home offer of the client (accepted, to refer from; else proposed)."""
        from fincrm.engagement.programmes_models import PartnerOffer

        with unit_of_work(self.institution.sessions) as s:
            party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
            offer = PartnerOffer(
                idempotency_key=f"matrix-offer-{next(self._serial)}", party_id=party.id, bundle_key="new_home",
                partner_key="", signal_kind="home_purchase", status="accepted" if accepted else "proposed", note="",
                created_at=NOW, updated_at=NOW,
            )  # fmt: skip
            s.add(offer)
            s.flush()
            return offer.id

    def programmes_referral(self, party_no: str) -> int:
        """A fresh referral of the client to a partner, made by its primary RM."""
        from fincrm.engagement.programmes_models import PartnerReferral

        with unit_of_work(self.institution.sessions) as s:
            party = s.scalars(select(Party).where(Party.party_no == party_no)).one()
            referral = PartnerReferral(
                party_id=party.id, partner_key="hengzheng_law", status="referred", note="",
                referred_by_id=party.primary_rm_id, referred_at=NOW, updated_at=NOW,
            )  # fmt: skip
            s.add(referral)
            s.flush()
            return referral.id

    def fill(self, path: str, case: Case) -> str:
        values = {"party_no": case.party_no, "username": "matrix01"}
        if "{point_id}" in path:
            values["point_id"] = str(self.memory_point(case.party_no))
        if "{proposal_id}" in path:
            values["proposal_id"] = str(self.proposal(case.party_no, fresh=path.endswith("/actions"))[0])
        if "{task_id}" in path:
            values["task_id"] = str(self.task(case.party_no))
        if "{key}" in path:
            values["key"] = "birthday_greeting"
        if "{message_id}" in path:
            values["message_id"] = str(self.held_message(case.party_no))
        if "{report_id}" in path:
            values["report_id"] = str(self.report(case.party_no))
        if "{token_id}" in path:
            values["token_id"] = str(self.token())
        # --- community placeholders ---
        for name in ("piece_id", "brief_id", "session_id"):
            if f"{{{name}}}" in path and (
                "/content/" in path or "/briefs/" in path or "/qa/sessions/" in path
            ):
                values[name] = self.community_item(path, case)
        # --- client events and key-person coverage placeholders ---
        if "{event_id}" in path:
            event_id, invitation_id = self.client_event(case.party_no, invite="{invitation_id}" in path)
            values["event_id"], values["invitation_id"] = str(event_id), str(invitation_id)
        # --- tier benefits and partners placeholders ---
        if "{benefit_key}" in path:
            values["benefit_key"] = self.programmes_benefit(case.party_no)
        if "{offer_id}" in path:
            accepted = path.endswith("/referral")  # a referral is made from an accepted offer
            values["offer_id"] = str(self.programmes_offer(case.party_no, accepted=accepted))
        if "{referral_id}" in path:
            values["referral_id"] = str(self.programmes_referral(case.party_no))
        # a fresh complaint (resolved where the step needs it) or case (with research01, compliance01 and a
        # proposal) of the client, made by its primary RM; each call its own, since actions move them on
        if "{complaint_no}" in path or "{case_id}" in path:
            from fincrm.cases import complaints, joint

            with unit_of_work(self.institution.sessions) as s:
                rm = s.scalars(
                    select(User).join(Party, Party.primary_rm_id == User.id).where(Party.party_no == case.party_no)
                ).one()  # fmt: skip
                me = access_service.principal_of(rm)
                if "{complaint_no}" in path:
                    made = complaints.file_complaint(s, me, party_no=case.party_no, channel="phone", category="fees",
                                                     severity="low", description="矩阵投诉", now=NOW)  # fmt: skip
                    if path.endswith(("/feedback", "/reopen", "/close")):
                        complaints.resolve(s, me, made.complaint_no, summary="已解决", now=NOW)
                    values["complaint_no"] = made.complaint_no
                else:
                    opened = joint.open_case(s, me, party_no=case.party_no, kind="family_trust", title="矩阵工单",
                                             description="矩阵需求", now=NOW)  # fmt: skip
                    for member in ("research01", "compliance01"):
                        joint.add_member(s, me, opened.id, username=member, now=NOW)
                    joint.set_proposal(s, me, opened.id, text="矩阵联合方案", now=NOW)
                    file = joint.add_attachment(s, me, opened.id, file_name="m.txt", content_type="text/plain",
                                                data=b"matrix", now=NOW)  # fmt: skip
                    values["case_id"], values["attachment_id"] = str(opened.id), str(file.id)
        # --- drills, testimonials and the SPIN library: a fresh one for each call ---
        if "{drill_id}" in path:
            values["drill_id"] = str(matrix_drill(case, answered=path.endswith("/review")))
        if "{testimonial_id}" in path:
            values["testimonial_id"] = str(fresh_testimonial(self.institution, case.party_no))
        if "{question_key}" in path:
            values["question_key"] = fresh_question(self.institution)
        return path.format(**values)


@pytest.fixture(scope="module")
def world(institution) -> Iterator[World]:
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    with unit_of_work(institution.sessions) as s:
        rm001, lead01 = (s.scalars(select(User).where(User.username == u)).one() for u in ("rm001", "lead01"))
        assert rm001.team_id == lead01.team_id, "the matrix assumes rm001 is in lead01's team"
        own = s.scalars(
            select(Party.party_no).where(Party.primary_rm_id == rm001.id).order_by(Party.party_no)
        ).first()
        team = select(User.id).where(User.team_id == rm001.team_id)
        other = s.scalars(
            select(Party.party_no).where(
                Party.primary_rm_id.not_in(team),
                ~select(Coverage.id).where(Coverage.party_id == Party.id, Coverage.user_id.in_(team)).exists(),
            ).order_by(Party.party_no)
        ).first()  # fmt: skip
        admin = access_service.principal_of(s.scalars(select(User).where(User.username == "admin01")).one())
        access_service.create_user(
            s, admin, username="matrix01", display_name="矩阵", role="research", password="matrix-pass-01",
            team_code=None, now=NOW,
        )  # fmt: skip
    clients, csrf = {}, {}
    with TestClient(app, base_url="http://testserver") as anonymous:
        clients["anonymous"] = anonymous
        for subject, username in USERS.items():
            client = TestClient(app, base_url="http://testserver")
            csrf[subject] = sign_in(client, username)
            clients[subject] = client
        yield World(institution, clients, csrf, own, other)
        for subject in USERS:
            clients[subject].close()


def api_routes(app) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1")
        for method in operations
    }


class TestAuthorizationMatrix:
    def test_every_api_route_has_a_decision(self, app_client) -> None:
        routes = api_routes(app_client.app)
        missing = sorted(routes - set(EXPECTED))
        assert not missing, "routes without a row in EXPECTED (decide who may call them): " + ", ".join(
            f"{m} {p}" for m, p in missing
        )
        stale = sorted(set(EXPECTED) - routes)
        assert not stale, "rows in EXPECTED for routes that no longer exist: " + ", ".join(
            f"{m} {p}" for m, p in stale
        )

    def test_every_route_answers_every_subject_as_decided(self, world: World) -> None:
        wrong = []
        for (method, path), expect in sorted(EXPECTED.items()):
            for subject in SUBJECTS:
                case = Case(subject, world.other_party if subject == "rm_other" else world.own_party, world)
                headers = {"X-CSRF-Token": world.csrf[subject]} if subject in world.csrf else {}
                response = world.clients[subject].request(
                    method, world.fill(path, case), headers=headers,
                    json=expect.json(case) if expect.json else None,
                    params=expect.params(case) if expect.params else None,
                )  # fmt: skip
                if response.status_code != expect.statuses[subject]:
                    wrong.append(
                        f"{method} {path} as {subject}: expected {expect.statuses[subject]}, "
                        f"got {response.status_code} {response.text[:160]}"
                    )
        assert not wrong, "\n".join(wrong)
