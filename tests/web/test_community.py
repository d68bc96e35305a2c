"""Community through the real app: the morning brief composed, refused by the scan, published and
sent to the RM's consenting clients; the content library filtered and added to from the page; the
client 360's matched content; the weekly Q&A from questions to published answers; both languages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Party
from fincrm.clients.repository import readable_parties
from fincrm.db.uow import unit_of_work
from fincrm.engagement import community, community_pages
from fincrm.engagement.community_models import MorningBrief, QaSession
from fincrm.engagement.models import OutboxMessage
from tests.web.conftest import NOW, csrf_of, sign_in

BRIEF_ZH = "今日A股三大指数小幅高开，北向资金净流入。市场有风险，投资须谨慎。"
BRIEF_EN = "China stocks opened slightly higher; northbound money flowed in. Investment involves risk."


def _own_clients(institution, username: str, n: int = 3) -> list[str]:
    with unit_of_work(institution.sessions) as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        return list(
            s.scalars(
                select(Party.party_no).where(Party.primary_rm_id == uid).order_by(Party.party_no).limit(n)
            )
        )


class TestMorningBrief:
    def test_over_300_characters_is_refused_naming_the_field_and_nothing_is_saved(self, app_client) -> None:
        token = sign_in(app_client, "rm002")
        page = app_client.get("/community")
        assert page.status_code == 200 and 'id="brief-form"' in page.text
        response = app_client.post(
            "/community/briefs",
            data={"text_zh": "早" * 301, "text_en": "ok", "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 422 and "text_zh" in response.text and "301" in response.text
        api = app_client.post(
            "/api/v1/briefs",
            json={"text_zh": "早 " * 150 + "早", "text_en": "ok"},
            headers={"X-CSRF-Token": token},
        )
        assert api.status_code == 422
        assert api.json()["errors"][0]["loc"] == ["text_zh"]

    def test_a_promise_is_refused_at_publishing_then_the_reworded_brief_goes_to_consenting_clients(
        self, app_client, institution
    ) -> None:
        token = sign_in(app_client, "rm001")
        headers = {"X-CSRF-Token": token}
        saved = app_client.post(
            "/api/v1/briefs", json={"text_zh": "本周理财稳赚不赔！", "text_en": "Sure win."}, headers=headers
        )
        assert saved.status_code == 200 and saved.json()["status"] == "draft"
        brief_id = saved.json()["id"]
        refused = app_client.post(f"/api/v1/briefs/{brief_id}/publish", headers=headers)
        assert refused.status_code == 422 and "forbidden_promise" in refused.text
        assert (
            app_client.post(
                "/api/v1/briefs", json={"text_zh": BRIEF_ZH, "text_en": BRIEF_EN}, headers=headers
            ).json()["id"]
            == brief_id
        )
        published = app_client.post(f"/api/v1/briefs/{brief_id}/publish", headers=headers)
        assert published.status_code == 200 and published.json()["status"] == "published"
        # every staff member reads it in the app
        other = app_client.__class__(app_client.app, base_url="http://testserver")
        sign_in(other, "research01")
        assert any(b["id"] == brief_id for b in other.get("/api/v1/briefs").json())
        other.close()
        sent = app_client.post(
            f"/api/v1/briefs/{brief_id}/distribute", json={"channel": "sms"}, headers=headers
        )
        assert sent.status_code == 200
        counts = sent.json()
        assert counts["consenting"] == counts["queued"] + counts["held"] + counts["suppressed"]
        with unit_of_work(institution.sessions) as s:
            rm = principal_of(s.scalars(select(User).where(User.username == "rm001")).one())
            book = set(s.scalars(select(Party.id).where(readable_parties(rm))))
            messages = list(
                s.scalars(
                    select(OutboxMessage).where(OutboxMessage.idempotency_key.like(f"brief:{brief_id}:%"))
                )
            )
            assert len(messages) == counts["consenting"] > 0
            assert {m.party_id for m in messages} <= book  # rm001's book (own and covered clients) only
            assert all(m.marketing and m.channel == "sms" for m in messages)
        again = app_client.post(
            f"/api/v1/briefs/{brief_id}/distribute", json={"channel": "sms"}, headers=headers
        )
        assert again.json()["skipped"] == counts["consenting"] and again.json()["queued"] == 0
        page = app_client.get("/community")
        assert (
            f'data-brief-id="{brief_id}"' in page.text
            and "已发送过" in page.text
            or "already sent" in page.text
        )

    def test_the_page_speaks_english_too(self, app_client) -> None:
        token = sign_in(app_client, "lead01")
        app_client.put("/api/v1/me/locale", json={"locale": "en"}, headers={"X-CSRF-Token": token})
        page = app_client.get("/community")
        assert (
            "Morning brief of the day" in page.text
            and "Content library" in page.text
            and "Weekly Q&amp;A" in page.text
        )
        app_client.put("/api/v1/me/locale", json={"locale": "zh-CN"}, headers={"X-CSRF-Token": token})
        assert "财经早报" in app_client.get("/community").text


class TestContentLibrary:
    def test_research_adds_a_piece_from_the_page_and_the_filter_finds_it(self, app_client) -> None:
        sign_in(app_client, "research01")
        page = app_client.get("/community")
        response = app_client.post(
            "/community/content",
            data={"kind": "research", "title_zh": "电气机械行业月报", "title_en": "Electrical machinery monthly",
                  "summary_zh": "订单回暖。", "summary_en": "Orders recover.", "author": "投研部", "industry_codes": "C38",
                  "topics": ["policy"], "published_on": NOW.date().isoformat(), "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303
        assert "电气机械行业月报" in app_client.get("/community?industry=C").text
        assert "电气机械行业月报" not in app_client.get("/community?industry=K70").text

    def test_a_bad_code_and_a_promise_are_reported_by_field(self, app_client) -> None:
        token = sign_in(app_client, "rm001")
        body = {"kind": "insight", "title_zh": "保本理财推荐", "title_en": "x", "summary_zh": "x", "summary_en": "x",
                "author": "x", "industry_codes": ["Z99"], "topics": [], "published_on": "2026-07-01"}  # fmt: skip
        response = app_client.post("/api/v1/content", json=body, headers={"X-CSRF-Token": token})
        assert response.status_code == 422 and [e["loc"] for e in response.json()["errors"]] == [
            ["industry_codes"],
            ["title_zh"],
        ]
        body["industry_codes"] = ["C38"]
        response = app_client.post("/api/v1/content", json=body, headers={"X-CSRF-Token": token})
        assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["title_zh"]

    def test_a_corporate_clients_360_shows_industry_matched_pieces_with_the_reason(
        self, app_client, institution
    ) -> None:
        with unit_of_work(institution.sessions) as s:
            community.seed_demo(s, institution.settings, now=NOW)
            lead = s.scalars(select(User).where(User.username == "lead01")).one()
            team = select(User.id).where(User.team_id == lead.team_id)
            corp = s.scalars(
                select(Party).where(Party.kind == "corporate", Party.industry_code.is_not(None),
                                    Party.primary_rm_id.in_(team)).order_by(Party.party_no)
            ).first()  # fmt: skip
        if corp is None:  # the team serves no company: any corporate, read by compliance
            user = "compliance01"
            with unit_of_work(institution.sessions) as s:
                corp = s.scalars(
                    select(Party).where(Party.kind == "corporate", Party.industry_code.is_not(None))
                ).first()
        else:
            user = "lead01"
        token = sign_in(app_client, user)
        with unit_of_work(institution.sessions) as s:
            research = s.scalar(select(User.username).where(User.username == "research01"))
        assert research
        other = app_client.__class__(app_client.app, base_url="http://testserver")
        rtoken = sign_in(other, "research01")
        made = other.post("/api/v1/content", json={
            "kind": "research", "title_zh": f"{corp.industry_code}行业深度", "title_en": "Industry deep dive",
            "summary_zh": "行业要点。", "summary_en": "Key points.", "author": "投研部", "industry_codes": [corp.industry_code],
            "topics": [], "published_on": NOW.date().isoformat()}, headers={"X-CSRF-Token": rtoken})  # fmt: skip
        assert made.status_code == 201
        assert (
            other.get(f"/api/v1/clients/{corp.party_no}/content").status_code == 404
        )  # research reads no client
        other.close()
        api = app_client.get(f"/api/v1/clients/{corp.party_no}/content")
        assert api.status_code == 200, api.text
        first = api.json()["matches"][0]
        assert (
            first["piece"]["id"] == made.json()["id"]
            and first["score"] == 3
            and corp.industry_code in first["reason_zh"]
        )
        assert (
            community_pages.client_panel in app_client.app.state.fincrm.client_panels
        )  # web.routes registers it
        page = app_client.get(f"/clients/{corp.party_no}")
        assert page.status_code == 200 and 'id="client-content"' in page.text and "行业匹配" in page.text
        assert token


class TestWeeklyQa:
    def test_questions_are_grouped_the_top_chosen_answered_and_sent_back_to_the_askers(
        self, app_client, institution
    ) -> None:
        token = sign_in(app_client, "lead01")
        headers = {"X-CSRF-Token": token}
        made = app_client.post("/api/v1/qa/sessions", json={"title_zh": "第27周问答", "title_en": "Week 27 Q&A",
                                                             "live_on": (NOW.date() + timedelta(days=2)).isoformat()},
                               headers=headers)  # fmt: skip
        assert made.status_code == 201
        sid = made.json()["id"]
        a, b, c = _own_clients(institution, "rm001")
        rm = app_client.__class__(app_client.app, base_url="http://testserver")
        rm_token = sign_in(rm, "rm001")
        for client_no, text, topic in ((a, "明年科技板块还值得配置吗？", "equity"), (b, "明年科技板块还值得配置吗", "equity"),
                                       (c, "个人养老金怎么开户？", "pension")):  # fmt: skip
            r = rm.post(f"/api/v1/qa/sessions/{sid}/questions", json={"client_no": client_no, "text": text, "topic": topic},
                        headers={"X-CSRF-Token": rm_token})  # fmt: skip
            assert r.status_code == 201, r.text
        page = rm.get(f"/community/qa/{sid}")
        assert (
            page.status_code == 200
            and 'data-rank="1" data-askers="2"' in page.text
            and 'id="question-form"' in page.text
        )
        rm.close()
        chosen = app_client.post(f"/api/v1/qa/sessions/{sid}/choose", json={"count": 1}, headers=headers)
        assert chosen.status_code == 200 and len(chosen.json()) == 1
        group_id = chosen.json()[0]["id"]
        early = app_client.post(f"/api/v1/qa/sessions/{sid}/publish", json={}, headers=headers)
        assert early.status_code == 422 and "not answered" in early.text
        bad = app_client.post(f"/api/v1/qa/sessions/{sid}/answers", headers=headers, json={
            "group_id": group_id, "answer_zh": "科技板块稳赚", "answer_en": "A sure win."})  # fmt: skip
        assert bad.status_code == 422
        page = app_client.get(f"/community/qa/{sid}")
        response = app_client.post(f"/community/qa/{sid}/answers", data={
            "group_id": group_id, "answer_zh": "科技板块波动较大，建议结合风险承受能力分批配置。投资有风险。",
            "answer_en": "Tech is volatile; build positions gradually within your risk tolerance. Investment involves risk.",
            "csrf_token": csrf_of(page.text)}, follow_redirects=False)  # fmt: skip
        assert response.status_code == 303
        done = app_client.post(
            f"/api/v1/qa/sessions/{sid}/publish", json={"channel": "in_app"}, headers=headers
        )
        assert (
            done.status_code == 200
            and done.json()["askers"] == 2
            and done.json()["session"]["status"] == "published"
        )
        with unit_of_work(institution.sessions) as s:
            n = s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.idempotency_key.like(f"qa:{sid}:%"))
            )
            assert n == 2  # the pension asker's group was not chosen
            assert s.get(QaSession, sid).status == "published"
        assert "答案已发布" in app_client.get(f"/community/qa/{sid}").text

    def test_research_may_not_record_questions_and_rms_may_not_choose(self, app_client, institution) -> None:
        with unit_of_work(institution.sessions) as s:
            research = s.scalars(select(User).where(User.username == "research01")).one()
            sid = community.create_session(s, principal_of(research), title_zh="问答", title_en="Q&A",
                                           live_on=NOW.date(), now=NOW).id  # fmt: skip
        token = sign_in(app_client, "rm001")
        assert app_client.post(f"/api/v1/qa/sessions/{sid}/choose", json={"count": 3},
                               headers={"X-CSRF-Token": token}).status_code == 403  # fmt: skip
        with unit_of_work(institution.sessions) as s:
            assert (
                s.scalar(select(func.count()).select_from(MorningBrief).where(MorningBrief.desk == "nobody"))
                == 0
            )


class TestWhoSeesWhat:
    def test_compliance_and_admin_read_the_page_without_the_writing_forms(self, app_client) -> None:
        for user in ("compliance01", "admin01"):
            sign_in(app_client, user)
            page = app_client.get("/community")
            assert page.status_code == 200 and 'id="library"' in page.text
            assert 'id="brief-form"' not in page.text and 'id="content-form"' not in page.text
            assert 'id="qa-form"' not in page.text
            app_client.post("/logout", data={"csrf_token": csrf_of(page.text)})
