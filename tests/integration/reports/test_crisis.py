"""The post-crisis review on the demo institution (profiles from a batch run, for the peer group):
rendered in both languages through the report service, its printed figures checked against the
PDF text and against pandas recomputations from the lake, and each bad-input case."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pypdfium2
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from fincrm.access.models import User
from fincrm.access.service import principal_of
from fincrm.clients.models import Coverage, Party
from fincrm.config import Settings
from fincrm.core.clock import FixedClock
from fincrm.errors import InputError
from fincrm.intelligence import batch
from fincrm.reports import crisis, engine, fonts, service
from fincrm.reports.reader import ClientReader
from tests.integration.demo.conftest import AS_OF, demo  # noqa: F401 - the module-scoped fixture
from tests.integration.reports.pdfcheck import squash

NOW = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 2, tzinfo=UTC)
TRADED = "SELECT DISTINCT product_code FROM transactions WHERE kind IN ('purchase', 'redemption', 'maturity')"


def pdf_pages(pdf: bytes) -> tuple[str, list]:
    doc = pypdfium2.PdfDocument(pdf)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    images = [doc[i].render(scale=0.5).to_pil().convert("L") for i in range(len(doc))]
    return text, images


def csi300(lake) -> pd.Series:
    rows = lake.sql("SELECT price_on, price::DOUBLE FROM market_prices WHERE series = 'CSI300' ORDER BY 1")
    return pd.Series([r[1] for r in rows], index=pd.to_datetime([r[0] for r in rows]))


@pytest.fixture(scope="module")
def world(demo):  # noqa: F811 - the re-imported fixture
    session = demo.session
    settings = Settings(_env_file=None, lake_path=demo.lake_path)
    sessions = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    batch.run(sessions, settings, FixedClock(NOW), as_of=AS_OF, engine="duckdb")  # profiles: the peer groups
    rm = principal_of(session.scalars(select(User).where(User.username == "rm001")).one())
    book = list(session.scalars(
        select(Party.party_no).join(Coverage, Coverage.party_id == Party.id).where(Coverage.user_id == rm.user_id)
    ))  # fmt: skip
    prices = csi300(demo)
    trough = (prices / prices.cummax() - 1).idxmin()
    peak = prices.loc[:trough].idxmax()
    listed = ", ".join(f"'{p}'" for p in book)
    first = dict(demo.sql(
        f"SELECT party_no, min(as_of_on) FROM holdings_snapshots WHERE party_no IN ({listed}) GROUP BY 1"
    ))  # fmt: skip
    start_snap = max(d for d in {r[0] for r in demo.sql("SELECT DISTINCT as_of_on FROM holdings_snapshots")}
                     if pd.Timestamp(d) <= peak)  # fmt: skip
    investing = {r[0] for r in demo.sql(
        f"SELECT DISTINCT party_no FROM holdings_snapshots WHERE party_no IN ({listed}) AND as_of_on = '{start_snap}' "
        f"AND market_value_amount > 0 AND product_code IN ({TRADED})"
    )}  # fmt: skip
    late = sorted(p for p, d in first.items() if pd.Timestamp(d) > peak)
    cash_only = sorted(p for p, d in first.items() if pd.Timestamp(d) <= peak and p not in investing)
    invested = ", ".join(f"'{p}'" for p in sorted(investing))
    traded = sorted({r[0] for r in demo.sql(
        f"SELECT party_no FROM transactions WHERE party_no IN ({invested}) AND product_code IS NOT NULL "
        f"AND kind IN ('purchase', 'redemption', 'maturity') AND booked_at >= '{peak.date()}' "
        f"AND booked_at < '{(trough + pd.Timedelta(days=1)).date()}'"
    )})  # fmt: skip
    return {"session": session, "settings": settings, "rm": rm, "client": sorted(investing)[0], "late": late,
            "cash_only": cash_only, "peak": peak, "trough": trough, "demo": demo, "traded": traded}  # fmt: skip


def generate(world, lang: str, party: str | None = None, subject: str = "", settings: Settings | None = None):
    return service.generate_report(
        world["session"], world["rm"], settings or world["settings"], kind="post_crisis",
        party_no=party or world["client"], as_of=AS_OF, lang=lang, now=NOW, subject=subject,
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_renders_with_every_figure_printed(world, lang: str) -> None:
    report = generate(world, lang)
    assert report.subject_key == f"history:{world['peak'].date()}:{world['trough'].date()}"
    assert 1 <= report.page_count <= engine.MAX_PAGES["post_crisis"]
    text, images = pdf_pages(report.pdf)
    assert any(img.getextrema()[0] < 128 for img in images)  # ink on the page: not blank
    assert fonts.missing_glyphs(text) == []
    figures = json.loads(report.figures)
    flat = squash(text)
    for key, printed in figures.items():
        assert squash(printed) in flat, (key, printed)
    assert int(figures["peers"]) >= 5 and "peer_mean" in figures  # a C-level x tier group of 2,000 clients


def test_benchmark_fall_and_buy_and_hold_recomputed_from_the_lake(world) -> None:
    figures = json.loads(generate(world, "en").figures)
    prices = csi300(world["demo"])
    window = prices.loc[world["peak"] : world["trough"]]
    assert figures["benchmark_drawdown"] == f"{(window.min() / window.max() - 1) * 100:.1f}%"
    # the client's holdings at the last snapshot before the peak, valued by NAV, left untouched
    lake, client, peak, trough = world["demo"], world["client"], world["peak"], world["trough"]
    rows = lake.sql(
        "SELECT h.product_code, sum(h.units)::DOUBLE, sum(h.market_value_amount)::DOUBLE FROM holdings_snapshots h "
        f"WHERE h.party_no = '{client}' AND h.as_of_on = (SELECT max(as_of_on) FROM holdings_snapshots "
        f"WHERE party_no = '{client}' AND as_of_on <= '{peak.date()}') AND h.market_value_amount > 0 "
        f"AND h.product_code IN ({TRADED}) GROUP BY 1"
    )
    nav = pd.DataFrame(lake.sql(
        "SELECT price_on, series, price::DOUBLE FROM market_prices WHERE series LIKE 'NAV_%' "
        f"AND price_on BETWEEN '{peak.date()}' AND '{trough.date()}'"
    ), columns=["on", "series", "p"]).pivot(index="on", columns="series", values="p").sort_index().ffill()  # fmt: skip
    value = sum(units * nav[f"NAV_{code}"] for code, units, _mv in rows)
    expected = (value / value.cummax() - 1).min()
    assert figures["bh_drawdown"] == f"{expected * 100:.1f}%".replace("-0.0%", "0.0%")


def test_unknown_scenario_lists_the_valid_keys(world) -> None:
    with pytest.raises(InputError, match="unknown scenario 'nope'") as caught:
        generate(world, "en", subject="nope")
    assert "gfc" in str(caught.value) and "china_2015" in str(caught.value)


def test_a_scenario_without_prices_names_the_series_and_dates(world) -> None:
    with pytest.raises(InputError, match="no CSI300 prices for the window 2007-10-09 to 2009-03-09"):
        generate(world, "en", subject="gfc")


def test_a_user_scenario_inside_the_history_is_reviewed(world, tmp_path) -> None:
    path = tmp_path / "scenarios.yaml"
    start, end = world["peak"].date(), (world["peak"] + pd.Timedelta(days=40)).date()
    path.write_text(
        f"- key: spring_dip\n  name_zh: 春季回调\n  name_en: Spring dip\n  start: {start}\n  end: {end}\n"
        "  shocks: {equity: -0.1}\n",
        encoding="utf-8",
    )
    settings = world["settings"].model_copy(update={"scenarios_path": path})
    report = generate(world, "zh-CN", subject="spring_dip", settings=settings)
    assert report.subject_key == "spring_dip" and report.page_count <= engine.MAX_PAGES["post_crisis"]


def test_a_window_before_the_first_snapshot_names_the_dates(world) -> None:
    if not world["late"]:
        pytest.skip("every client of the book was a client before the peak")
    with pytest.raises(InputError, match="first holdings snapshot of") as caught:
        generate(world, "en", party=world["late"][0])
    assert str(world["peak"].date()) in str(caught.value)


def test_no_investments_at_the_window_start_is_refused(world) -> None:
    if not world["cash_only"]:
        pytest.skip("every client of the book invested before the peak")
    with pytest.raises(InputError, match="held no investment products at the start of the window"):
        generate(world, "en", party=world["cash_only"][0])


def test_percentile_is_within_bounds(world) -> None:
    figures = json.loads(generate(world, "en").figures)
    assert 0 <= float(figures["client_percentile"].rstrip("%")) <= 100
    assert np.isfinite(float(figures["peer_median"].rstrip("%")))


def test_daily_units_rebuilt_from_trades_meet_the_next_snapshot(world) -> None:
    if not world["traded"]:
        pytest.skip("no client of the book traded in the window")
    party = world["session"].scalars(select(Party).where(Party.party_no == world["traded"][0])).one()
    facts = crisis.load(ClientReader(world["session"], world["settings"], party, AS_OF), "")
    gaps = facts.units_gaps
    anchors = sorted(set(gaps["as_of_on"]))
    tz = world["settings"].timezone
    trades = [(pd.Timestamp(at).tz_convert(tz).date(), code) for at, code in world["demo"].sql(
        f"SELECT booked_at, product_code FROM transactions WHERE party_no = '{party.party_no}' "
        f"AND kind IN ('purchase', 'redemption', 'maturity') AND booked_at >= '{world['peak'].date()}' "
        f"AND booked_at < '{(world['trough'] + pd.Timedelta(days=1)).date()}'"
    )]  # fmt: skip
    checked = 0
    for on, code in trades:  # each product traded in the window, at the next snapshot after the trade
        nxt = next((d for d in anchors if d >= on), None)
        if nxt is None:
            continue
        row = gaps[(gaps["as_of_on"] == nxt) & (gaps["product_code"] == code)]
        assert row["gap"].abs().max() <= 1e-6 if len(row) else True, row  # no row: none rebuilt, none held
        checked += len(row)
    assert checked > 0
    assert gaps["gap"].abs().max() <= 1e-6  # and every product at every snapshot shown


def test_client_drawdown_is_the_flow_free_index_recomputed_from_the_lake(world) -> None:
    if not world["traded"]:
        pytest.skip("no client of the book traded in the window")
    client, peak, trough, lake = world["traded"][0], world["peak"], world["trough"], world["demo"]
    figures = json.loads(generate(world, "en", party=client).figures)
    tz = world["settings"].timezone
    days = csi300(lake).loc[peak:trough].index
    start_on = max(r[0] for r in lake.sql(
        f"SELECT DISTINCT as_of_on FROM holdings_snapshots WHERE party_no = '{client}' AND as_of_on < '{peak.date()}'"
    ))  # fmt: skip
    start = pd.DataFrame(lake.sql(
        f"SELECT product_code, sum(units)::DOUBLE FROM holdings_snapshots WHERE party_no = '{client}' "
        f"AND as_of_on = '{start_on}' AND product_code IN ({TRADED}) GROUP BY 1"
    ), columns=["code", "units"]).set_index("code")["units"]  # fmt: skip
    txns = pd.DataFrame(lake.sql(
        "SELECT booked_at, kind, product_code, amount::DOUBLE, coalesce(units, 0)::DOUBLE FROM transactions "
        f"WHERE party_no = '{client}' AND product_code IS NOT NULL "
        "AND kind IN ('purchase', 'redemption', 'maturity', 'dividend')"
    ), columns=["at", "kind", "code", "amount", "units"])  # fmt: skip
    txns["on"] = pd.to_datetime([pd.Timestamp(t).tz_convert(tz).date() for t in txns["at"]])
    txns = txns[(txns["on"] > pd.Timestamp(start_on)) & (txns["on"] <= days[-1])]
    sign = np.where(txns["kind"] == "purchase", 1.0, np.where(txns["kind"] == "dividend", 0.0, -1.0))
    txns = txns.assign(
        delta=sign * txns["units"], flow=np.where(txns["kind"] == "purchase", 1, -1) * txns["amount"].abs()
    )
    nav = pd.DataFrame(lake.sql(
        "SELECT price_on, series, price::DOUBLE FROM market_prices WHERE series LIKE 'NAV_%' "
        f"AND price_on BETWEEN '{start_on}' AND '{trough.date()}'"
    ), columns=["on", "series", "p"]).pivot(index="on", columns="series", values="p")  # fmt: skip
    nav.index = pd.to_datetime(nav.index)
    nav = nav.reindex(nav.index.union(days)).sort_index().ffill().reindex(days)
    codes = sorted(set(start.index) | set(txns["code"]))
    units = pd.DataFrame({
        c: start.get(c, 0.0) + txns[txns["code"] == c].groupby("on")["delta"].sum().reindex(
            pd.date_range(pd.Timestamp(start_on), days[-1]), fill_value=0.0).cumsum().reindex(days)
        for c in codes
    })  # fmt: skip
    value = sum(units[c] * nav[f"NAV_{c}"] for c in codes)
    # a flow counts on the first trading day on or after it; those up to the first day are in its value
    slot = np.searchsorted(days.to_numpy(), txns["on"].to_numpy())
    flows = (
        pd.Series(txns["flow"].to_numpy(), index=slot)
        .groupby(level=0)
        .sum()
        .reindex(range(len(days)), fill_value=0)
    )
    ret = (value.to_numpy()[1:] - flows.to_numpy()[1:]) / value.to_numpy()[:-1]
    index = np.concatenate([[1.0], np.cumprod(ret)])
    expected = (index / np.maximum.accumulate(index) - 1).min()
    assert figures["account_drawdown"] == f"{expected * 100:.1f}%".replace("-0.0%", "0.0%")
    moved_in = txns[(txns["kind"] == "purchase") & (txns["on"] >= peak)]["amount"].abs().sum()
    assert figures["moved_in"] == f"CN¥{moved_in:,.2f}"
