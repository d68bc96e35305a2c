"""The asset health check on the demo institution: both languages, PDF pages checked as images and
text, numbers equal to the store's and the lake's, bad input refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from sqlalchemy import func, select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import AccountParty, Coverage, Holding, Party
from fincrm.config import Settings
from fincrm.core.i18n import Formatter
from fincrm.errors import InputError, NotFound
from fincrm.reports import engine, service
from fincrm.reports.fonts import missing_glyphs
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def world(demo):  # noqa: F811 - the re-imported fixture
    session = demo.session
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    rm = principal_of(session.scalars(select(User).where(User.username == "rm001")).one())
    held = (
        select(AccountParty.party_id)
        .join(Holding, Holding.account_id == AccountParty.account_id)
        .where(AccountParty.role == "owner", Holding.market_value_amount > 0)
    )
    mine = (
        select(Party.party_no)
        .join(Coverage, Coverage.party_id == Party.id)
        .where(Coverage.user_id == rm.user_id)
    )
    holders = list(session.scalars(mine.where(Party.id.in_(held)).order_by(Party.party_no)).unique())
    empty = list(session.scalars(mine.where(~Party.id.in_(held)).order_by(Party.party_no)).unique())
    return session, settings, rm, holders, empty


def pdf_text(pdf: bytes) -> tuple[str, list]:
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    images = [document[i].render(scale=0.5).to_pil().convert("L") for i in range(len(document))]
    return text, images


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_health_checks_for_demo_clients_match_the_data(world, demo, lang) -> None:  # noqa: F811
    session, settings, rm, holders, _empty = world
    assert len(holders) >= 3
    for party_no in holders[:3]:
        report = service.generate_report(
            session, rm, settings, kind="health_check", party_no=party_no, as_of=AS_OF, lang=lang, now=NOW
        )
        assert 1 <= report.page_count <= engine.MAX_PAGES["health_check"]
        text, images = pdf_text(report.pdf)
        assert len(images) == report.page_count
        for image in images:  # a page with content has dark pixels, not only white
            assert image.getextrema()[0] < 100
        assert missing_glyphs(text) == []
        flat = "".join(text.split())
        import json

        figures = json.loads(report.figures)
        for key, value in figures.items():
            assert "".join(value.split()) in flat, (party_no, key, value)
        # independent: the total is the sum of the client's holdings in the store
        party = session.scalars(select(Party).where(Party.party_no == party_no)).one()
        total = session.scalar(
            select(func.sum(Holding.market_value_amount))
            .join(AccountParty, AccountParty.account_id == Holding.account_id)
            .where(AccountParty.party_id == party.id, AccountParty.role == "owner")
        )
        fmt = Formatter(lang, TZ)
        assert figures["total"] == fmt.money(Decimal(total).quantize(Decimal("0.01")))
        # independent: fees are the fee transactions of the last 365 days in the lake
        lo = datetime.combine(AS_OF - timedelta(days=365), time.min, TZ)
        hi = datetime.combine(AS_OF + timedelta(days=1), time.min, TZ)
        (fees,) = demo.sql(
            "SELECT coalesce(-sum(amount), 0) FROM transactions WHERE kind = 'fee' "
            f"AND party_no = '{party_no}' AND booked_at >= '{lo.isoformat()}' AND booked_at < '{hi.isoformat()}'"
        )[0]
        assert figures["fees_paid_12m"] == fmt.money(Decimal(fees).quantize(Decimal("0.01")))


class TestBadInput:
    def test_a_client_without_holdings_gets_an_error_not_an_empty_pdf(self, world) -> None:
        session, settings, rm, _holders, empty = world
        assert empty
        with pytest.raises(InputError, match="holds no products"):
            service.generate_report(session, rm, settings, kind="health_check", party_no=empty[0], as_of=AS_OF,
                                    lang="en", now=NOW)  # fmt: skip

    def test_an_unknown_client_is_not_found(self, world) -> None:
        session, settings, rm, _holders, _empty = world
        with pytest.raises(NotFound):
            service.generate_report(session, rm, settings, kind="health_check", party_no="NOPE", as_of=AS_OF,
                                    lang="en", now=NOW)  # fmt: skip

    def test_a_date_before_any_price_is_refused(self, world) -> None:
        session, settings, rm, holders, _empty = world
        with pytest.raises(InputError, match="no market prices"):
            service.generate_report(session, rm, settings, kind="health_check", party_no=holders[0],
                                    as_of=date(2000, 1, 3), lang="en", now=NOW)  # fmt: skip
