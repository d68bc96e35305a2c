"""Proposal reports of a proposal made in the portfolio lab, rendered through the report service."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Coverage, Party, RiskAssessment
from fincrm.config import Settings
from fincrm.errors import InputError
from fincrm.portfolio import service as portfolio
from fincrm.reports import engine, service
from fincrm.reports.fonts import missing_glyphs
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture
from tests.integration.reports.pdfcheck import pdf_text, squash

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def ctx(demo):  # noqa: F811 - the re-imported fixture
    session = demo.session
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    rm = principal_of(session.scalars(select(User).where(User.username == "rm001")).one())
    latest = (
        select(RiskAssessment.party_id, func.max(RiskAssessment.valid_until).label("valid_until"))
        .group_by(RiskAssessment.party_id).subquery()
    )  # fmt: skip
    clients = session.scalars(
        select(Party.party_no).join(Coverage, Coverage.party_id == Party.id)
        .join(latest, latest.c.party_id == Party.id)
        .where(Coverage.user_id == rm.user_id, Party.kind == "individual", latest.c.valid_until >= AS_OF)
        .order_by(Party.party_no).limit(2)
    ).all()  # fmt: skip
    first, second = clients
    proposal = portfolio.create_proposal(session, rm, first, settings=settings,
                                         invest_amount=Decimal("500000"), now=NOW)  # fmt: skip
    other = portfolio.create_proposal(session, rm, second, settings=settings,
                                      invest_amount=Decimal("300000"), now=NOW)  # fmt: skip
    return {"session": session, "rm": rm, "settings": settings, "client": first, "second": second,
            "proposal": proposal, "other": other}  # fmt: skip


def generate(ctx, subject: str, lang: str, party: str = "client"):
    return service.generate_report(ctx["session"], ctx["rm"], ctx["settings"], kind="proposal",
                                   party_no=ctx[party], as_of=AS_OF, lang=lang, now=NOW, subject=subject)  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_draft_renders_in_bounds_with_every_figure_and_the_draft_banner(ctx, lang) -> None:
    report = generate(ctx, str(ctx["proposal"].id), lang)
    text, dark = pdf_text(report.pdf)
    assert dark > 1000, "the first page looks blank"
    assert missing_glyphs(text) == []
    assert 1 <= report.page_count <= engine.MAX_PAGES["proposal"]
    assert report.subject_key == str(ctx["proposal"].id)
    figures = json.loads(report.figures)
    for key, value in figures.items():
        assert squash(value) in squash(text), f"{key}={value!r} is not in the PDF"
    banner = "草稿——不得提供给客户" if lang == "zh-CN" else "Draft — not for the client"
    assert squash(banner) in squash(text)


def test_the_printed_numbers_are_the_stored_evidence(ctx) -> None:
    report = generate(ctx, "", "en")  # "" is the latest proposal
    assert report.subject_key == str(ctx["proposal"].id)
    evidence = json.loads(ctx["proposal"].evidence)
    figures = json.loads(report.figures)
    mc = evidence["monte_carlo"]["percentiles"]
    assert figures["mc_p5"] == f"{mc['p5'] * 100:.1f}%" and figures["mc_p95"] == f"{mc['p95'] * 100:.1f}%"
    fees = Decimal(evidence["disclosure"]["client_fees_cny"])
    assert figures["client_fees"] == f"CN¥{fees:,.2f}"


def test_a_checked_proposal_has_no_draft_banner_and_shows_the_trail(ctx) -> None:
    session, rm = ctx["session"], ctx["rm"]
    other = ctx["other"]
    portfolio.advance_proposal(session, rm, other.id, "review", now=NOW)
    if other.status != "compliance_checked":
        pytest.skip("this client's proposal waits for compliance")
    if "suitability_mismatch" in json.loads(other.compliance_reasons):
        portfolio.advance_proposal(session, rm, other.id, "acknowledge", reason="signed on paper", now=NOW)
    text = squash(pdf_text(generate(ctx, str(other.id), "en", party="second").pdf)[0])
    assert squash("Draft — not for the client") not in text
    assert squash("checked by the system") in text


def test_bad_subjects_are_refused(ctx) -> None:
    with pytest.raises(InputError, match="999999"):
        generate(ctx, "999999", "en")
    with pytest.raises(InputError, match=str(ctx["other"].id)):  # another client's proposal
        generate(ctx, str(ctx["other"].id), "en")
    with pytest.raises(InputError, match="digits"):
        generate(ctx, "abc", "en")
