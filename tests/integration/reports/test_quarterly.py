"""The quarterly asset diagnosis on the demo institution: rendered in both languages through the
report service, its printed figures checked against the PDF text and against an independent
pandas recomputation from the lake, and each bad-input case."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pypdfium2
import pytest
from sqlalchemy import select

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Coverage, Party
from fincrm.config import Settings
from fincrm.core.i18n import Formatter
from fincrm.errors import InputError
from fincrm.reports import engine, fonts, service
from fincrm.reports.health import round_amount
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture
from tests.integration.reports.pdfcheck import squash

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
START, END = "2026-06-30", "2026-09-30"  # the last complete quarter before AS_OF: 2026Q3


def pdf_pages(pdf: bytes) -> tuple[str, list]:
    doc = pypdfium2.PdfDocument(pdf)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    images = [doc[i].render(scale=0.5).to_pil().convert("L") for i in range(len(doc))]
    return text, images


@pytest.fixture(scope="module")
def world(demo):  # noqa: F811 - the re-imported fixture
    session, lake = demo.session, demo
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    rm = principal_of(session.scalars(select(User).where(User.username == "rm001")).one())
    book = list(
        session.scalars(
            select(Party.party_no)
            .join(Coverage, Coverage.party_id == Party.id)
            .where(Coverage.user_id == rm.user_id)
        )
    )
    listed = ", ".join(f"'{p}'" for p in book)
    traded = (
        "SELECT DISTINCT product_code FROM transactions WHERE kind IN ('purchase', 'redemption', 'maturity')"
    )
    rows = lake.sql(
        f"SELECT party_no, count(DISTINCT as_of_on) FROM holdings_snapshots WHERE party_no IN ({listed}) "
        f"AND as_of_on IN ('{START}', '{END}') AND market_value_amount > 0 AND product_code IN ({traded}) "
        "GROUP BY 1 HAVING count(DISTINCT as_of_on) = 2 ORDER BY 1"
    )
    investing = [r[0] for r in rows]
    cash_only = sorted(set(book) - {r[0] for r in lake.sql(
        f"SELECT DISTINCT party_no FROM holdings_snapshots WHERE party_no IN ({listed}) AND product_code IN ({traded})"
    )} - {r[0] for r in lake.sql(
        f"SELECT DISTINCT party_no FROM transactions WHERE party_no IN ({listed}) AND product_code IS NOT NULL"
    )})  # fmt: skip
    assert investing, "the demo book of rm001 should hold investments in 2026Q3"
    return {"session": session, "settings": settings, "rm": rm, "client": investing[0],
            "cash_only": cash_only[0] if cash_only else None, "demo": demo}  # fmt: skip


def generate(world, lang: str, party: str | None = None, subject: str = ""):
    return service.generate_report(
        world["session"], world["rm"], world["settings"], kind="quarterly", party_no=party or world["client"],
        as_of=AS_OF, lang=lang, now=NOW, subject=subject,
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_renders_with_every_figure_printed(world, lang: str) -> None:
    report = generate(world, lang)
    assert report.subject_key == "2026Q3"
    assert 1 <= report.page_count <= engine.MAX_PAGES["quarterly"]
    text, images = pdf_pages(report.pdf)
    assert any(img.getextrema()[0] < 128 for img in images)  # ink on the page: not blank
    assert fonts.missing_glyphs(text) == []
    figures = json.loads(report.figures)
    flat = squash(text)
    for key, printed in figures.items():
        assert squash(printed) in flat, (key, printed)
    if lang == "zh-CN":
        assert "季度" in text and "投资收益" in text


def test_result_and_benchmark_recomputed_from_the_lake(world) -> None:
    report = generate(world, "en")
    figures = json.loads(report.figures)
    lake, client = world["demo"], world["client"]
    traded = (
        "SELECT DISTINCT product_code FROM transactions WHERE kind IN ('purchase', 'redemption', 'maturity')"
    )
    snaps = pd.DataFrame(lake.sql(
        f"SELECT as_of_on, product_code, market_value_amount::DOUBLE FROM holdings_snapshots "
        f"WHERE party_no = '{client}' AND as_of_on IN ('{START}', '{END}')"
    ), columns=["on", "code", "value"])  # fmt: skip
    cash = {r[0] for r in lake.sql("SELECT code FROM (SELECT DISTINCT product_code AS code FROM holdings_snapshots) "
                                   f"WHERE code LIKE 'DEP%' AND code NOT IN ({traded})")}  # fmt: skip
    snaps = snaps[~snaps["code"].isin(cash)]
    start = snaps[snaps["on"].astype(str) == START]["value"].sum()
    end = snaps[snaps["on"].astype(str) == END]["value"].sum()
    flows = lake.sql(
        f"SELECT coalesce(sum(-amount), 0)::DOUBLE FROM transactions WHERE party_no = '{client}' "
        "AND kind IN ('purchase', 'redemption', 'maturity', 'dividend') "
        "AND booked_at >= TIMESTAMPTZ '2026-07-01 00:00:00+08' AND booked_at < TIMESTAMPTZ '2026-10-01 00:00:00+08'"
    )[0][0]
    fmt = Formatter("en", ZoneInfo(world["settings"].timezone))
    assert figures["start_value"] == fmt.money(round_amount(start))
    assert figures["result"] == fmt.money(round_amount(end - start - flows))
    csi = pd.DataFrame(lake.sql("SELECT price_on, price::DOUBLE FROM market_prices WHERE series = 'CSI300' "
                                f"AND price_on <= '{END}'"), columns=["on", "p"]).set_index("on")["p"].sort_index()  # fmt: skip
    expected = (
        csi.loc[: pd.Timestamp(END).date()].iloc[-1] / csi.loc[: pd.Timestamp(START).date()].iloc[-1] - 1
    )
    assert figures["benchmark_return"] == f"{expected * 100:.1f}%".replace("-0.0%", "0.0%")


@pytest.mark.parametrize(
    ("subject", "words"),
    [("2026-Q3", ["YYYYQn"]), ("2030Q1", ["2030Q1", "after the report date"]),
     ("2023Q2", ["2023Q2", "2023-03-31", "2023-06-30"])],
)  # fmt: skip
def test_bad_quarters_are_refused(world, subject: str, words: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        generate(world, "en", subject=subject)
    for word in words:
        assert word in str(caught.value)


def test_a_client_without_investments_is_refused(world) -> None:
    if world["cash_only"] is None:
        pytest.skip("every client of the book invests")
    with pytest.raises(InputError, match="no investment products in quarter 2026Q3"):
        generate(world, "en", party=world["cash_only"])
