"""Testimonials through the real app: the list and record form, the story page with its uses (the
content piece's body as it is now), use in content, withdrawal removing the story at once, the JSON
API and its error shapes, both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.cases import testimonials
from fincrm.cases import testimonials_domain as td
from fincrm.clients.models import Party
from fincrm.db.uow import unit_of_work
from fincrm.web.app import create_app
from tests.web.conftest import NOW, sign_in

STORY = "客户经理帮我们理清了流动资金安排，心里有底了。"


def fresh_testimonial(institution, party_no: str) -> int:
    """A new story of the client, consented for every use, recorded by the client's primary RM (the
    authorization matrix uses it too: each action it checks gets a story of its own)."""
    with unit_of_work(institution.sessions) as s:
        rm = s.scalars(
            select(User).join(Party, Party.primary_rm_id == User.id).where(Party.party_no == party_no)
        ).one()
        draft = td.TestimonialDraft(STORY, "Our RM sorted out our working capital.", "陈先生", "Mr Chen", td.SCOPES,
                                    "signed_form", NOW.date() - timedelta(days=3), NOW.date() + timedelta(days=300))  # fmt: skip
        return testimonials.record_testimonial(s, principal_of(rm), institution.settings, party_no, draft=draft,
                                               now=NOW).id  # fmt: skip


@pytest.fixture(scope="module")
def own(institution) -> str:
    with unit_of_work(institution.sessions) as s:
        rm = s.scalars(select(User).where(User.username == "rm001")).one()
        return s.scalars(
            select(Party.party_no).where(Party.primary_rm_id == rm.id).order_by(Party.party_no)
        ).first()


@pytest.fixture()
def rm(institution):
    app = create_app(institution.settings, clock=institution.clock, sessions=institution.sessions)
    with TestClient(app, base_url="http://testserver") as c:
        csrf = sign_in(c, "rm001")
        yield c, csrf


class TestPages:
    def test_record_use_and_withdraw_through_the_pages(self, rm, own) -> None:
        c, csrf = rm
        page = c.get("/testimonials")
        assert (
            page.status_code == 200
            and 'id="testimonial-form"' in page.text
            and 'data-nav="testimonials"' in page.text
        )
        made = c.post("/testimonials", data={
            "csrf_token": csrf, "party_no": own, "story_zh": STORY, "story_en": "Sorted out our working capital.",
            "attribution_zh": "陈先生", "attribution_en": "Mr Chen", "scopes": ["content_library", "events"],
            "method": "signed_form", "given_on": str(NOW.date()), "expires_on": str(NOW.date() + timedelta(days=90)),
        }, follow_redirects=False)  # fmt: skip
        assert made.status_code == 303
        url = made.headers["location"]
        detail = c.get(url)
        assert (
            STORY in detail.text
            and 'id="use-new-piece"' in detail.text
            and 'id="use-message"' not in detail.text
        )
        used = c.post(f"{url}/use", data={"csrf_token": csrf, "target": "new", "title_zh": "客户见证", "title_en": "A story",
                                          "summary_zh": "经授权", "summary_en": "With consent", "topics": "family"},
                      follow_redirects=True)  # fmt: skip
        assert used.status_code == 200 and 'class="piece-body"' in used.text
        body = used.text.split('class="piece-body"')[1].split("</div>")[0]
        assert STORY in body
        withdrawn = c.post(f"{url}/withdraw", data={"csrf_token": csrf, "reason": "客户来电撤回"})
        assert withdrawn.status_code == 200 and 'id="withdrawn"' in withdrawn.text
        body = withdrawn.text.split('class="piece-body"')[1].split("</div>")[0]
        assert STORY not in body
        assert 'data-revoked="true"' in withdrawn.text and 'id="withdraw-form"' not in withdrawn.text

    def test_a_bad_record_form_answers_422_with_the_fields(self, rm, own) -> None:
        c, csrf = rm
        bad = c.post("/testimonials", data={"csrf_token": csrf, "party_no": own, "story_zh": "x", "story_en": "x",
                                            "attribution_zh": "x", "attribution_en": "x", "method": "fax",
                                            "given_on": "yesterday", "expires_on": ""})  # fmt: skip
        assert bad.status_code == 422 and 'id="testimonial-error"' in bad.text
        assert "given_on" in bad.text and "expires_on" in bad.text

    def test_the_pages_speak_english_too(self, rm, institution, own) -> None:
        c, _ = rm
        tid = fresh_testimonial(institution, own)
        page = c.get(f"/testimonials/{tid}?lang=en")
        assert page.status_code == 200
        zh = c.get(f"/testimonials/{tid}")
        assert "客户见证" in zh.text or "见证" in zh.text


class TestApi:
    def test_record_use_and_withdraw(self, rm, own) -> None:
        c, csrf = rm
        h = {"X-CSRF-Token": csrf}
        made = c.post(f"/api/v1/clients/{own}/testimonials", headers=h, json={
            "story_zh": STORY, "story_en": "Sorted out.", "attribution_zh": "陈先生", "attribution_en": "Mr Chen",
            "scopes": ["content_library"], "method": "app", "given_on": str(NOW.date()),
            "expires_on": str(NOW.date() + timedelta(days=30)),
        })  # fmt: skip
        assert made.status_code == 201, made.text
        tid = made.json()["id"]
        assert made.json()["usable_for"] == ["content_piece"]
        usable = c.get("/api/v1/testimonials", params={"usable_for": "content_piece"}).json()
        assert tid in [t["id"] for t in usable]
        use = c.post(f"/api/v1/testimonials/{tid}/uses", headers=h, json={
            "target_kind": "content_piece",
            "new_piece": {"title_zh": "见证", "title_en": "Story", "summary_zh": "授权", "summary_en": "Consent"}})  # fmt: skip
        assert use.status_code == 201 and use.json()["target_kind"] == "content_piece"
        refused = c.post(f"/api/v1/testimonials/{tid}/uses", headers=h,
                         json={"target_kind": "message", "client_no": own})  # fmt: skip
        assert refused.status_code == 422 and refused.json()["errors"][0]["msg"].startswith(
            "the consent does not cover"
        )
        done = c.post(f"/api/v1/testimonials/{tid}/withdrawal", headers=h, json={"reason": "撤回"})
        assert done.status_code == 200 and done.json()["pieces"] == 1
        mine = c.get(f"/api/v1/clients/{own}/testimonials").json()
        assert next(t for t in mine if t["id"] == tid)["status"] == "withdrawn"

    def test_errors_have_the_one_shape(self, rm, own) -> None:
        c, csrf = rm
        bad = c.post(f"/api/v1/clients/{own}/testimonials", headers={"X-CSRF-Token": csrf}, json={
            "story_zh": "x", "story_en": "x", "attribution_zh": "x", "attribution_en": "x", "scopes": [],
            "method": "app", "given_on": str(NOW.date()), "expires_on": str(NOW.date())})  # fmt: skip
        assert bad.status_code == 422
        assert {"ok", "error", "errors", "code", "status"} <= set(bad.json())
        assert {e["loc"][0] for e in bad.json()["errors"]} == {"scopes", "expires_on"}
        missing = c.post("/api/v1/testimonials/999999/withdrawal", headers={"X-CSRF-Token": csrf},
                         json={"reason": "x"})  # fmt: skip
        assert missing.status_code == 404
        unknown = c.post("/api/v1/testimonials/1/uses", headers={"X-CSRF-Token": csrf},
                         json={"target_kind": "billboard"})  # fmt: skip
        assert unknown.status_code == 422
