"""Workbench pages of the client book: search, my book, client 360, memory-point forms, reveal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import exists, func, select

from fincrm.access.models import AuditRecord, User
from fincrm.clients.models import Coverage, Interaction, MemoryPoint, Party, PartyRelationship
from fincrm.db.uow import unit_of_work
from tests.web.conftest import sign_in


def own_client(institution, username: str = "rm001", *, with_relations: bool = False) -> Party:
    """A client whose primary RM is ``username`` (optionally one with relationships)."""
    with unit_of_work(institution.sessions) as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        q = select(Party).where(Party.primary_rm_id == uid)
        if with_relations:
            q = q.where(
                exists().where(
                    (PartyRelationship.from_party_id == Party.id)
                    | (PartyRelationship.to_party_id == Party.id)
                )
            )
        party = s.scalars(q.order_by(Party.party_no).limit(1)).one()
        s.expunge(party)
        return party


def foreign_client(institution, reader: str = "rm001", owner: str = "rm002") -> Party:
    """A client of ``owner`` that ``reader`` does not cover."""
    with unit_of_work(institution.sessions) as s:
        reader_id = s.scalar(select(User.id).where(User.username == reader))
        owner_id = s.scalar(select(User.id).where(User.username == owner))
        party = s.scalars(
            select(Party)
            .where(
                Party.primary_rm_id == owner_id,
                ~exists().where(Coverage.party_id == Party.id, Coverage.user_id == reader_id),
            )
            .order_by(Party.party_no)
            .limit(1)
        ).one()
        s.expunge(party)
        return party


def audit_count(institution, action: str, party_id: int | None = None) -> int:
    with unit_of_work(institution.sessions) as s:
        q = select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)
        if party_id is not None:
            q = q.where(AuditRecord.party_id == party_id)
        return s.scalar(q) or 0


class TestSearchPage:
    def test_form_renders_in_both_languages(self, app_client) -> None:
        sign_in(app_client, "rm001")
        zh = app_client.get("/clients/search")
        assert zh.status_code == 200 and 'id="search-form"' in zh.text and "客户查询" in zh.text
        en = app_client.get("/clients/search?lang=en")
        assert en.status_code == 200 and 'id="search-form"' in en.text

    @pytest.mark.parametrize("how", ["party_no", "party_no_prefix", "name", "initials", "phone_last4"])
    def test_finds_own_client(self, app_client, institution, how) -> None:
        party = own_client(institution)
        q = {
            "party_no": party.party_no,
            "party_no_prefix": party.party_no[:-1],
            "name": party.name,
            "initials": party.name_initials,
            "phone_last4": party.phone_last4,
        }[how]
        sign_in(app_client, "rm001")
        page = app_client.get("/clients/search", params={"q": q})
        assert page.status_code == 200 and 'id="search-results"' in page.text
        assert f'href="/clients/{party.party_no}"' in page.text
        assert party.phone not in page.text  # masked

    def test_finds_by_national_id_last4(self, app_client, institution) -> None:
        party = own_client(institution)
        sign_in(app_client, "rm001")
        page = app_client.get("/clients/search", params={"q": party.national_id_last4})
        assert f'data-party-no="{party.party_no}"' in page.text

    def test_never_finds_another_rms_client(self, app_client, institution) -> None:
        other = foreign_client(institution)
        sign_in(app_client, "rm001")
        page = app_client.get("/clients/search", params={"q": other.party_no})
        assert f'data-party-no="{other.party_no}"' not in page.text and 'id="search-empty"' in page.text

    def test_search_is_audited(self, app_client, institution) -> None:
        before = audit_count(institution, "client.search")
        sign_in(app_client, "rm001")
        app_client.get("/clients/search", params={"q": "zh"})
        assert audit_count(institution, "client.search") == before + 1


class TestBookPage:
    def test_lists_the_rms_book_with_filters_and_paging(self, app_client, institution) -> None:
        sign_in(app_client, "rm001")
        page = app_client.get("/book")
        assert page.status_code == 200 and "我的管户" in page.text
        for key in ('id="book-table"', 'id="book-filters"', 'id="book-pager"', 'data-sort="aum"'):
            assert key in page.text, key
        total = app_client.get("/api/v1/book").json()["total"]
        assert page.text.count('<tr data-party-no="') == min(total, 50) and total > 0
        assert f'data-party-no="{foreign_client(institution).party_no}"' not in page.text
        filtered = app_client.get(
            "/book", params={"sort": "-aum", "risk_level": "C3", "not_contacted_days": "30"}
        )
        assert filtered.status_code == 200 and 'id="book-table"' in filtered.text

    def test_in_english(self, app_client) -> None:
        sign_in(app_client, "rm001")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', app_client.get("/book").text).group(1)
        app_client.post("/language", data={"locale": "en", "csrf_token": csrf})
        page = app_client.get("/book")
        assert page.status_code == 200 and "My book" in page.text and "Last contact" in page.text
        app_client.post("/language", data={"locale": "zh-CN", "csrf_token": csrf})
        assert "我的管户" in app_client.get("/book").text

    def test_bad_filter_names_the_field(self, app_client) -> None:
        sign_in(app_client, "rm001")
        page = app_client.get("/book", params={"last_contact_before": "yesterday"})
        assert page.status_code == 422 and "last_contact_before" in page.text

    def test_team_lead_sees_the_teams_books(self, app_client, institution) -> None:
        with unit_of_work(institution.sessions) as s:
            team = s.scalar(select(User.team_id).where(User.username == "lead01"))
            mates = s.scalars(select(User.username).where(User.team_id == team, User.role == "rm")).all()
        sign_in(app_client, "lead01")
        body = app_client.get("/api/v1/book", params={"page_size": 200}).json()
        mine = {r["party_no"] for r in body["rows"]}
        assert body["total"] > 0
        for mate in mates[:1]:
            assert own_client(institution, mate).party_no in mine or body["total"] > 200

    def test_admin_gets_no_client_data(self, app_client) -> None:
        sign_in(app_client, "admin01")
        assert app_client.get("/book").status_code == 403
        assert app_client.get("/clients/search", params={"q": "z"}).status_code == 403


class TestClient360Page:
    def test_all_panels_render_with_masked_data(self, app_client, institution) -> None:
        party = own_client(institution, with_relations=True)
        sign_in(app_client, "rm001")
        page = app_client.get(f"/clients/{party.party_no}")
        assert page.status_code == 200
        for key in (
            'id="client-360"', 'id="profile"', 'id="relationship-graph"', 'id="allocation-chart"',
            'id="memory-points"', 'id="consents"', 'id="risk"', 'id="interactions"', 'id="reveal-phone"',
            "客户全景视图", "记忆点",
        ):  # fmt: skip
            assert key in page.text, key
        assert (
            "<svg" in page.text
            and "<script" not in page.text
            and "http://" not in page.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        )
        assert party.phone not in page.text
        graph = page.text.split('id="relationship-graph"', 1)[1].split("</svg>", 1)[0]
        nodes = re.findall(r'<g class="node[^"]*" data-party-no="([^"]+)"', graph)
        assert len(nodes) == len(set(nodes)) > 1  # one node per person, ties stored both ways drawn once

    def test_in_english(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm002")
        app_client.post("/language", data={"locale": "en", "csrf_token": csrf})
        page = app_client.get(f"/clients/{own_client(institution, 'rm002').party_no}")
        assert page.status_code == 200 and "Client 360" in page.text and "Memory points" in page.text
        app_client.post("/language", data={"locale": "zh-CN", "csrf_token": csrf})
        assert party.party_no

    def test_interaction_purposes_are_named_not_coded(self, app_client, institution) -> None:
        latest = (
            select(Interaction.party_id, func.max(Interaction.occurred_at).label("at"))
            .group_by(Interaction.party_id)
            .subquery()
        )
        with unit_of_work(institution.sessions) as s:
            party_no = s.scalars(
                select(Party.party_no)
                .join(latest, latest.c.party_id == Party.id)
                .join(
                    Interaction, (Interaction.party_id == Party.id) & (Interaction.occurred_at == latest.c.at)
                )
                .join(User, User.id == Party.primary_rm_id)
                .where(User.username == "rm001", Interaction.purpose == "periodic_review")
                .limit(1)
            ).one()
        sign_in(app_client, "rm001")
        timeline = app_client.get(f"/clients/{party_no}").text.split('id="interactions"', 1)[1]
        assert "· 定期回访" in timeline and "periodic_review" not in timeline  # the newest entry comes first

    def test_read_is_audited(self, app_client, institution) -> None:
        party = own_client(institution)
        before = audit_count(institution, "client.read", party.id)
        sign_in(app_client, "rm001")
        app_client.get(f"/clients/{party.party_no}")
        assert audit_count(institution, "client.read", party.id) == before + 1

    def test_another_rms_client_is_the_404_page(self, app_client, institution) -> None:
        other = foreign_client(institution)
        sign_in(app_client, "rm001")
        page = app_client.get(f"/clients/{other.party_no}")
        assert page.status_code == 404 and 'id="error-page"' in page.text and other.name not in page.text

    def test_compliance_reads_but_has_no_memory_point_form(self, app_client, institution) -> None:
        party = own_client(institution)
        sign_in(app_client, "compliance01")
        page = app_client.get(f"/clients/{party.party_no}")
        assert page.status_code == 200 and 'id="memory-point-add"' not in page.text

    def test_research_gets_404(self, app_client, institution) -> None:
        sign_in(app_client, "research01")
        assert app_client.get(f"/clients/{own_client(institution).party_no}").status_code == 404


class TestMemoryPointForms:
    def test_add_edit_remove_round_trip_is_audited(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm001")
        url = f"/clients/{party.party_no}/memory-points"
        created = audit_count(institution, "memory_point.create", party.id)
        added = app_client.post(
            url,
            data={"category": "hobby", "text": "周六打高尔夫", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert added.status_code == 303
        page = app_client.get(f"/clients/{party.party_no}").text
        assert "周六打高尔夫" in page
        point_id = int(
            re.search(
                r'data-memory-point-id="(\d+)">\s*<span class="tag">[^<]*</span> 周六打高尔夫', page
            ).group(1)
        )
        edited = app_client.post(
            f"{url}/{point_id}", data={"category": "hobby", "text": "周日打高尔夫", "csrf_token": csrf},
            follow_redirects=False,
        )  # fmt: skip
        assert (
            edited.status_code == 303 and "周日打高尔夫" in app_client.get(f"/clients/{party.party_no}").text
        )
        removed = app_client.post(
            f"{url}/{point_id}/delete", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert (
            removed.status_code == 303
            and "周日打高尔夫" not in app_client.get(f"/clients/{party.party_no}").text
        )
        assert audit_count(institution, "memory_point.create", party.id) == created + 1
        assert audit_count(institution, "memory_point.update", party.id) >= 1
        assert audit_count(institution, "memory_point.delete", party.id) >= 1

    def test_missing_csrf_is_refused_and_writes_nothing(self, app_client, institution) -> None:
        party = own_client(institution)
        sign_in(app_client, "rm001")
        response = app_client.post(
            f"/clients/{party.party_no}/memory-points", data={"category": "hobby", "text": "x"}
        )
        assert response.status_code == 403
        with unit_of_work(institution.sessions) as s:
            assert s.scalar(select(func.count()).where(MemoryPoint.text == "x")) == 0

    def test_bad_input_names_the_field(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm001")
        response = app_client.post(
            f"/clients/{party.party_no}/memory-points",
            data={"category": "gossip", "text": " ", "csrf_token": csrf},
        )
        assert response.status_code == 422 and "category" in response.text and "text" in response.text


class TestRevealForm:
    def test_reveal_shows_the_phone_and_is_audited(self, app_client, institution) -> None:
        party = own_client(institution)
        csrf = sign_in(app_client, "rm001")
        before = audit_count(institution, "client.reveal", party.id)
        page = app_client.post(
            f"/clients/{party.party_no}/reveal", data={"field": "phone", "csrf_token": csrf}
        )
        assert page.status_code == 200 and 'id="revealed"' in page.text and party.phone in page.text
        assert audit_count(institution, "client.reveal", party.id) == before + 1
