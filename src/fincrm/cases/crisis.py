"""Crisis communication use cases: the market fall, the clients it hit, the sandwich draft for each
(compliance-scanned, edited, sent through the engagement outbox), the post-crisis review reports in
one batch and the closed-door strategy meeting's invitations.

Where the figures come from
---------------------------
- The fall: ``fincrm.engagement.evaluate.drawdown`` over the lake's closes (the trigger of the
  ``market_drawdown_comfort`` rule, with a threshold the caller chooses), or a window given as dates.
  The window runs from the fall's peak day to its last close.
- Affected clients: clients of the caller's book whose look-through equity share of their current
  holdings (``product_exposures``) is at least the threshold, each with the buy-and-hold maximum
  drawdown over the window of the holdings of their last monthly snapshot on or before the window's
  first trading day (current accounts left out), the rule of the post-crisis review's peers.
- A draft's facts: ``fincrm.reports.crisis.load`` and ``numbers`` for the client (buy-and-hold
  drawdown, peers of the same effective risk level and tier, the benchmark's maximum drawdown);
  the recovery statistics: ``crisis_domain.recovery_stats`` over the benchmark's closes in the lake;
  the reframing: the latest proposal's risk-adjusted comparison of the portfolio lab, else the
  client's holdings with a NAV history against the benchmark over ``HISTORY_DAYS`` (``compare``).

Use cases take the session first and change state in the caller's transaction, audited there; none
commits. RMs and team leads draft, edit and send for the clients they may change; compliance reads
every draft and decides held ones; a client outside the caller's book answers NotFound.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from fincrm.access import audit
from fincrm.access.domain import Principal, Role
from fincrm.access.models import User
from fincrm.cases import crisis_domain as cd
from fincrm.cases.crisis_models import CrisisDraft
from fincrm.clients.domain import AccountRole, PartyStatus
from fincrm.clients.models import AccountParty, Holding, Party
from fincrm.clients.repository import changeable_parties, readable_parties
from fincrm.clients.service import readable_party
from fincrm.config import Settings
from fincrm.engagement import gatherings, guard, scan
from fincrm.engagement import service as engagement
from fincrm.engagement.evaluate import drawdown as market_drawdown
from fincrm.engagement.models import PENDING, SUPPRESSED, OutboxMessage
from fincrm.errors import Conflict, FieldError, InputError, NotFound, PermissionDenied
from fincrm.lake.analytics import connect
from fincrm.portfolio import compare, stress
from fincrm.portfolio import service as portfolio
from fincrm.portfolio.models import DECLINED, Proposal
from fincrm.products.models import Product
from fincrm.reports import batch as report_batch
from fincrm.reports import crisis as review
from fincrm.reports.quarterly import current_accounts
from fincrm.reports.reader import ClientReader

WRITERS = (Role.RM, Role.TEAM_LEAD)  # who drafts, edits and sends crisis messages
RULE_KEY = "crisis_sandwich"  # the outbox rows' rule and template key
PRICE_LOOKBACK_DAYS = 3 * 365 + 30  # calendar days of closes read to find the latest fall
MAX_ID = 2**63 - 1
MAX_BATCH = 500  # clients drafted at once
NAV_PAD_DAYS = 14  # calendar days of NAV read before the window, to carry a last price forward
MIN_HISTORY_DAYS = 60  # closes the reframing needs on both sides


def business_day(settings: Settings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def _require_writer(principal: Principal) -> None:
    if principal.role not in WRITERS:
        raise PermissionDenied("only relationship managers and team leads write crisis messages")


def _require_reader(principal: Principal) -> None:
    if not principal.reads_client_data:
        raise PermissionDenied("your role reads no client data")


# ----- the fall ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketFall:
    series: str
    start: date  # the peak day
    end: date  # the last close of the window
    drawdown: float  # the benchmark's maximum drawdown in the window (fraction <= 0)
    trading_days: int  # closes in the window
    found: bool  # True: found in the lake by the threshold; False: the window was given

    @property
    def key(self) -> str:
        return f"{self.series}:{self.start}:{self.end}"

    @property
    def fall_pct(self) -> float:
        return round(abs(self.drawdown) * 100, 2)


def _closes(settings: Settings, series: str, start: date, end: date) -> pd.Series:
    con = connect(settings)
    try:
        frame = con.execute(
            "SELECT price_on, price::DOUBLE AS price FROM market_prices WHERE series = ? AND price_on BETWEEN ? AND ? "
            "ORDER BY price_on",
            [series, start, end],
        ).df()
    finally:
        con.close()
    return pd.Series(frame["price"].to_numpy(), index=pd.to_datetime(frame["price_on"]), dtype=float)


def find_fall(
    settings: Settings, *, series: str = portfolio.BENCHMARK_SERIES, on: date, start: date | None = None,
    end: date | None = None, fall_pct: float = cd.DEFAULT_FALL_PCT, within_days: int = cd.DEFAULT_WITHIN_DAYS,
) -> MarketFall:  # fmt: skip
    """The window of a market fall: the one given (``start`` .. ``end``), or the fall of ``series`` still
    going on at the latest close on or before ``on`` that reached ``fall_pct`` percent within
    ``within_days`` trading days (the engagement rule's trigger), from its peak to its last close.

    Raises
    ------
    InputError
        Only one of start and end, a window not running forward or ending after ``on``, an unknown
        series or one without closes in the window, or no fall of that size (lower the threshold).
    """
    problems = []
    if (start is None) != (end is None):
        problems.append(
            FieldError(
                ("start" if start is None else "end",), "give both ends of the window or neither", None
            )
        )
    if start is not None and end is not None and not start < end <= on:
        problems.append(
            FieldError(("end",), f"the window must run forward and end on or before {on}", f"{start}..{end}")
        )
    if not 0 < fall_pct < 100:
        problems.append(FieldError(("fall_pct",), "a percentage between 0 and 100", fall_pct))
    if not 1 <= within_days <= 250:
        problems.append(FieldError(("within_days",), "1 to 250 trading days", within_days))
    if problems:
        raise InputError("the market fall cannot be looked up as given", errors=problems)  # fmt: skip
    if start is None or end is None:
        closes = _closes(settings, series, on - timedelta(days=PRICE_LOOKBACK_DAYS), on)
        if closes.empty:
            raise InputError(f"no closes of {series!r} in the lake up to {on}: import market prices, or name another series",
                             errors=[FieldError(("series",), "no prices", series)])  # fmt: skip
        prices = pd.DataFrame({"series": series, "price_on": closes.index, "price": closes.to_numpy()})
        episode = market_drawdown(prices, series, on, within_days, fall_pct)
        if episode is None:
            raise InputError(
                f"no fall of {series} of at least {fall_pct:g}% within {within_days} trading days is going on at the "
                f"last close on or before {on}: lower the threshold, or give the window's start and end",
                errors=[FieldError(("fall_pct",), "no fall this large now", fall_pct)],
            )  # fmt: skip
        start, end = date.fromisoformat(episode["peak_on"]), date.fromisoformat(episode["close_on"])
        window = closes.loc[pd.Timestamp(start) : pd.Timestamp(end)]
        found = True
    else:
        window = _closes(settings, series, start, end)
        found = False
    if len(window) < 2:
        raise InputError(f"fewer than two closes of {series} between {start} and {end}",
                         errors=[FieldError(("start",), "no closes in the window", f"{start}..{end}")])  # fmt: skip
    return MarketFall(series, start, end, review.max_drawdown(window.to_numpy()), len(window), found)


# ----- affected clients -------------------------------------------------------------------------


@dataclass(frozen=True)
class Affected:
    party_no: str
    name: str
    held_amount: float  # CNY, current holdings
    equity_pct: float  # look-through equity share of the current holdings, percent
    drawdown: float | None  # buy-and-hold maximum drawdown over the window (None: nothing held then)
    open_draft: str | None  # status of the client's open crisis draft


def _book_holdings(session: Session, principal: Principal) -> pd.DataFrame:
    rows = session.execute(
        select(Party.party_no, Party.name, Product.code, func.sum(Holding.market_value_amount))
        .join(AccountParty, (AccountParty.party_id == Party.id) & (AccountParty.role == AccountRole.OWNER))
        .join(Holding, Holding.account_id == AccountParty.account_id)
        .join(Product, Product.id == Holding.product_id)
        .where(readable_parties(principal), Party.status != PartyStatus.CLOSED)
        .group_by(Party.party_no, Party.name, Product.code)
    ).all()  # fmt: skip
    return pd.DataFrame([(no, name, code, float(v or 0)) for no, name, code, v in rows],
                        columns=["party_no", "name", "code", "value"])  # fmt: skip


def buy_and_hold_drawdowns(
    session: Session, settings: Settings, party_nos: list[str], fall: MarketFall, as_of: date
) -> dict[str, float]:
    """Each client's buy-and-hold maximum drawdown over the window (fraction <= 0): the holdings of the
    last snapshot on or before the window's first trading day (current accounts left out), valued by
    NAV, replayed in one vectorised pass. Clients who held nothing then are left out."""
    if not party_nos:
        return {}
    anchor = session.scalars(select(Party).where(Party.party_no == party_nos[0])).one()
    reader = ClientReader(session, settings, anchor, as_of)
    try:
        bench = reader.prices([fall.series], fall.start, fall.end)
        if fall.series not in bench.columns:
            return {}
        days = bench[fall.series].dropna().index
        holdings = review._start_snapshots(reader, party_nos, days[0].date())
        holdings = holdings[holdings["market_value_amount"] > 0]
        holdings = holdings[
            ~holdings["product_code"].isin(current_accounts(reader, sorted(set(holdings["product_code"]))))
        ]
        if holdings.empty:
            return {}
        series_of = review._series_of(reader)
        series = sorted({series_of[c] for c in set(holdings["product_code"]) if series_of.get(c)})
        nav = (
            reader.prices(series, days[0].date() - timedelta(days=NAV_PAD_DAYS), fall.end)
            if series
            else pd.DataFrame()
        )
        series = [s for s in series if s in nav.columns]
        window_nav = nav.reindex(nav.index.union(days)).sort_index().ffill().reindex(days) if series else nav
        paths = (
            np.column_stack([window_nav[series].to_numpy(), np.ones(len(days))])
            if series
            else np.ones((len(days), 1))
        )
        start_nav = {s: float(window_nav[s].iloc[0]) for s in series}
        weights = review.holding_weights(holdings, start_nav, series_of, series)
        holders = list(dict.fromkeys(holdings["holder"]))
        keep = weights.sum(axis=1) > 0
        if not keep.any():
            return {}
        result = stress.replay(np.nan_to_num(paths, nan=1.0), weights[keep])
        dd = np.atleast_1d(np.asarray(result["max_drawdown"], dtype=float))
        return {
            h: float(d) for h, d in zip([h for h, k in zip(holders, keep, strict=True) if k], dd, strict=True)
        }
    finally:
        reader.close()  # fmt: skip


def affected_clients(
    session: Session, principal: Principal, settings: Settings, *, fall: MarketFall,
    min_equity_pct: float = cd.DEFAULT_MIN_EQUITY_PCT, as_of: date,
) -> list[Affected]:  # fmt: skip
    """Clients of the caller's book whose equity share (look-through) is at least ``min_equity_pct``
    percent, with their own buy-and-hold drawdown over the window, the largest fall first.

    Raises
    ------
    PermissionDenied
        For a role other than RM or team lead (the list is of one's own book).
    InputError
        A threshold outside 0..100.
    """
    _require_writer(principal)
    if not 0 <= min_equity_pct <= 100:
        raise InputError("the equity threshold is a percentage",
                         errors=[FieldError(("min_equity_pct",), "0 to 100", min_equity_pct)])  # fmt: skip
    held = _book_holdings(session, principal)
    if held.empty:
        return []
    shelf = portfolio.shelf_facts(session)
    held["equity"] = held["value"] * [
        shelf[c].exposures.get("equity", 0.0) if c in shelf else 0.0 for c in held["code"]
    ]
    per = held.groupby(["party_no", "name"], as_index=False)[["value", "equity"]].sum()
    per = per[per["value"] > 0]
    per["equity_pct"] = per["equity"] / per["value"] * 100
    hit = per[per["equity_pct"] >= min_equity_pct - 1e-9]
    nos = sorted(hit["party_no"])
    dd = buy_and_hold_drawdowns(session, settings, nos, fall, as_of)
    drafts = _open_statuses(session, nos)
    out = [
        Affected(no, name, round(float(v), 2), round(float(e), 2), dd.get(no), drafts.get(no))
        for no, name, v, e in zip(hit["party_no"], hit["name"], hit["value"], hit["equity_pct"], strict=True)
    ]
    return sorted(out, key=lambda a: (a.drawdown if a.drawdown is not None else 1.0, a.party_no))


def _open_statuses(session: Session, party_nos: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for start in range(0, len(party_nos), 5_000):
        out.update(session.execute(
            select(Party.party_no, CrisisDraft.status).join(CrisisDraft, CrisisDraft.party_id == Party.id)
            .where(Party.party_no.in_(party_nos[start : start + 5_000]), CrisisDraft.status.in_(cd.OPEN_STATUSES))
        ).all())  # fmt: skip
    return out


# ----- figures of one client ----------------------------------------------------------------------


def client_figures(
    session: Session, settings: Settings, party: Party, fall: MarketFall, as_of: date
) -> tuple[cd.ClientFigures, dict[str, Any]]:
    """The facts part's figures for one client (and the extra numbers kept with the draft)."""
    reader = ClientReader(session, settings, party, as_of)
    extra: dict[str, Any] = {}
    try:
        profile = reader.profile()
        level = profile.effective_risk if profile is not None else None
        tier = profile.tier if profile is not None else None
        try:
            facts = review.load(reader, f"history:{fall.start}:{fall.end}")
        except InputError as exc:
            return cd.ClientFigures(
                series=fall.series, start=fall.start, end=fall.end, trading_days=fall.trading_days,
                benchmark_drawdown=fall.drawdown, portfolio_drawdown=None, peers=0, peer_mean=None,
                risk_level=level, tier=tier, min_peers=review.MIN_PEERS, no_portfolio_reason=exc.message,
            ), extra  # fmt: skip
        n = review.numbers(facts)
        extra = {"account_drawdown": n.account_drawdown, "snapshot_on": facts.snapshot_on.isoformat(),
                 "peer_median": n.peer_median, "client_percentile": n.client_percentile}  # fmt: skip
        return cd.ClientFigures(
            series=fall.series, start=fall.start, end=fall.end, trading_days=fall.trading_days,
            benchmark_drawdown=fall.drawdown,
            portfolio_drawdown=n.bh_drawdown, peers=n.peers, peer_mean=n.peer_mean, risk_level=level, tier=tier,
            min_peers=review.MIN_PEERS,
        ), extra  # fmt: skip
    finally:
        reader.close()


def recovery(settings: Settings, fall: MarketFall, band_pp: float = cd.DEFAULT_BAND_PP) -> cd.RecoveryStats:
    """The recovery statistics of falls like this one in the series' whole history up to the window's end."""
    closes = _closes(settings, fall.series, date(1900, 1, 1), fall.end)
    return cd.recovery_stats([d.date() for d in closes.index], closes.to_numpy(), abs(fall.drawdown) * 100,
                             window_start=fall.start, band_pp=band_pp)  # fmt: skip


def latest_proposal(session: Session, party: Party) -> Proposal | None:
    """The client's newest proposal that the client has not declined."""
    return session.scalars(
        select(Proposal).where(Proposal.party_id == party.id, Proposal.status != DECLINED)
        .order_by(Proposal.created_at.desc(), Proposal.id.desc()).limit(1)
    ).first()  # fmt: skip


def reframing(
    session: Session, settings: Settings, party: Party, lang: str, as_of: date, proposal: Proposal | None
) -> tuple[str, dict[str, Any]]:
    """The portfolio lab's risk-adjusted comparison in ``lang``: the proposal against the current
    holdings when the proposal has one, else the holdings with a NAV history against the benchmark over
    ``portfolio.HISTORY_DAYS``; ('', {}) when neither can be computed."""
    zh = lang == "zh-CN"
    if proposal is not None:
        found = json.loads(proposal.evidence or "{}").get("comparison")
        if found:
            lead = ("按风险调整后收益比较，建议方案（前者）与您的现有持仓（后者）：" if zh
                    else "Risk-adjusted, the proposal (the first) against your current holdings (the second): ")  # fmt: skip
            return lead + found["sentence_zh" if zh else "sentence_en"], {"source": "proposal", "proposal_id": proposal.id,
                                                                            "per_unit_risk": found.get("per_unit_risk")}  # fmt: skip
    values = portfolio.client_holdings(session, party)
    shelf = portfolio.shelf_facts(session)
    held = {c: v for c, v in values.items() if v > 0 and c in shelf and shelf[c].series}
    if not held:
        return "", {}
    reader = ClientReader(session, settings, party, as_of)
    try:
        series = sorted({shelf[c].series for c in held} | {portfolio.BENCHMARK_SERIES})
        nav = reader.prices(series, as_of - timedelta(days=portfolio.HISTORY_DAYS), as_of)
    finally:
        reader.close()
    mine = [c for c in held if shelf[c].series in nav.columns]
    if portfolio.BENCHMARK_SERIES not in nav.columns or not mine:
        return "", {}
    window = nav[sorted({shelf[c].series for c in mine}) + [portfolio.BENCHMARK_SERIES]].dropna()
    if len(window) < MIN_HISTORY_DAYS:
        return "", {}
    total = sum(held[c] for c in mine)
    weights: dict[str, float] = {}
    for c in mine:
        weights[shelf[c].series] = weights.get(shelf[c].series, 0.0) + held[c] / total
    a = stress.backtest_summary(stress.backtest(window[list(weights)], weights, rebalance="quarterly"))
    b = stress.backtest_summary(window[portfolio.BENCHMARK_SERIES])
    names = ("您的组合", "沪深300") if zh else ("Your portfolio", "CSI 300")
    c = compare.compare(
        compare.RiskReturn(names[0], a["annual_return"], a["volatility"], max_drawdown=a["max_drawdown"]),
        compare.RiskReturn(names[1], b["annual_return"], b["volatility"], max_drawdown=b["max_drawdown"]),
    )
    start, end = window.index[0].date(), window.index[-1].date()
    lead = (f"按风险调整后收益比较（{start}至{end}的日度净值），您的组合（前者）与沪深300（后者）：" if zh
            else f"Risk-adjusted, over the daily prices from {start} to {end}, your portfolio (the first) against "
                 "the CSI 300 (the second): ")  # fmt: skip
    return lead + (c.sentence_zh if zh else c.sentence_en), {
        "source": "holdings_vs_benchmark", "from": start.isoformat(), "to": end.isoformat(),
        "portfolio": {k: round(v, 6) for k, v in a.items()}, "benchmark": {k: round(v, 6) for k, v in b.items()},
        "per_unit_risk": [c.per_unit_risk_a, c.per_unit_risk_b], "better": c.better,
    }  # fmt: skip


# ----- drafts ------------------------------------------------------------------------------------


def _changeable(session: Session, principal: Principal, party_no: str) -> Party:
    party = session.scalars(
        select(Party).where(Party.party_no == party_no, changeable_parties(principal))
    ).one_or_none()
    if party is None:
        raise NotFound(f"no client with client number {party_no!r} in your book")
    return party


def _scan(settings: Settings, subject: str, body: str, on: date) -> scan.ScanResult:
    return scan.scan(f"{subject}\n{body}", investor=None, on=on, policy=engagement.scan_policy(settings))


def _check_options(channel: str, lang: str, action: str | None) -> None:
    problems = []
    if channel not in guard.CHANNEL_KINDS:
        problems.append(FieldError(("channel",), f"one of {', '.join(guard.CHANNEL_KINDS)}", channel))
    if lang not in cd.LANGS:
        problems.append(FieldError(("lang",), f"one of {', '.join(cd.LANGS)}", lang))
    if action is not None and action != cd.PROPOSAL and action not in cd.ACTIONS:
        problems.append(FieldError(("action",), f"one of {', '.join((cd.PROPOSAL, *cd.ACTIONS))}", action))
    if problems:
        raise InputError("the draft cannot be made as given", errors=problems)


def _rm_name(session: Session, party: Party, principal: Principal) -> str:
    if party.primary_rm_id is not None:
        name = session.scalar(select(User.display_name).where(User.id == party.primary_rm_id))
        if name:
            return name
    return principal.display_name


def draft_message(
    session: Session, principal: Principal, settings: Settings, party_no: str, *, fall: MarketFall,
    action: str | None = None, channel: str = "wecom", lang: str | None = None, now: datetime,
    band_pp: float = cd.DEFAULT_BAND_PP, stats: cd.RecoveryStats | None = None,
) -> CrisisDraft:  # fmt: skip
    """Write the sandwich draft for one client of the caller's book and scan it; an open draft of the
    client is superseded. ``action`` None takes the client's proposal when there is one, else ``hold``.

    Returns
    -------
    CrisisDraft
        Status ``draft`` (scans clean) or ``held`` (with the findings), its figures in ``facts``.

    Raises
    ------
    PermissionDenied
        Not an RM or team lead.
    NotFound
        The client is not in the caller's book.
    InputError
        Unknown channel, language or action, or ``proposal`` for a client without one.
    """
    _require_writer(principal)
    lang = lang or settings.locale
    _check_options(channel, lang, action)
    party = _changeable(session, principal, party_no)
    as_of = business_day(settings, now)
    proposal = latest_proposal(session, party)
    if action == cd.PROPOSAL and proposal is None:
        raise InputError(f"client {party_no} has no open proposal in the portfolio lab; choose another action",
                         errors=[FieldError(("action",), "no proposal for this client", action)])  # fmt: skip
    chosen = action or (cd.PROPOSAL if proposal is not None else "hold")
    figures, extra = client_figures(session, settings, party, fall, as_of)
    stats = stats or recovery(settings, fall, band_pp)
    reframe, reframe_facts = reframing(session, settings, party, lang, as_of, proposal)
    call_by = as_of + timedelta(days=cd.CALL_WITHIN_DAYS)
    plan = cd.Plan(
        chosen, proposal.id if chosen == cd.PROPOSAL and proposal else None, stats, reframe, call_by
    )
    parts = (cd.empathy(lang, client_name=party.name, series=fall.series, days=fall.trading_days),
             cd.facts(lang, figures), cd.plan(lang, plan, series=fall.series, rm_name=_rm_name(session, party, principal)))  # fmt: skip
    subject = cd.subject(lang, fall.series)
    body = cd.compose(*parts)
    found = _scan(settings, subject, body, as_of)
    for old in session.scalars(select(CrisisDraft).where(CrisisDraft.party_id == party.id,
                                                         CrisisDraft.status.in_(cd.OPEN_STATUSES))):  # fmt: skip
        old.status, old.updated_at = cd.SUPERSEDED, now
        audit.append(
            session, principal, "crisis.supersede", at=now, party_id=party.id, detail=f"crisis draft {old.id}"
        )
    facts = {
        "series": fall.series, "start": fall.start.isoformat(), "end": fall.end.isoformat(), "found_in_lake": fall.found,
        "trading_days": fall.trading_days, "benchmark_drawdown": figures.benchmark_drawdown,
        "portfolio_drawdown": figures.portfolio_drawdown, "peers": figures.peers, "peer_mean": figures.peer_mean,
        "min_peers": figures.min_peers, "risk_level": figures.risk_level, "tier": figures.tier,
        "no_portfolio_reason": figures.no_portfolio_reason, **extra, "recovery": stats.as_json(),
        "reframing": reframe_facts, "action": chosen, "proposal_id": plan.proposal_id, "call_by": call_by.isoformat(),
        "shown": {"benchmark_drawdown": cd.pct_text(figures.benchmark_drawdown),
                  "portfolio_drawdown": cd.pct_text(figures.portfolio_drawdown), "peer_mean": cd.pct_text(figures.peer_mean)},
    }  # fmt: skip
    draft = CrisisDraft(
        party_id=party.id, series=fall.series, start_on=fall.start, end_on=fall.end, lang=lang, channel=channel,
        action=chosen, proposal_id=plan.proposal_id, status=cd.status_after_scan(found.ok), subject=subject,
        empathy=parts[0], facts_text=parts[1], plan_text=parts[2], body=body,
        facts=json.dumps(facts, ensure_ascii=False, default=_json_default), scan_codes=",".join(found.codes)[:200],
        scan_reason="; ".join(f.message_en for f in found.findings), edits=0, created_by_id=principal.user_id,
        created_at=now, updated_at=now, review_reason="",
    )  # fmt: skip
    session.add(draft)
    session.flush()
    audit.append(session, principal, "crisis.draft", at=now, party_id=party.id,
                 detail=f"crisis draft {draft.id} {fall.key} {chosen}: {draft.status}")  # fmt: skip
    return draft


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


@dataclass(frozen=True)
class Batch:
    drafts: list[CrisisDraft]
    affected: int


def draft_messages(
    session: Session, principal: Principal, settings: Settings, *, fall: MarketFall,
    min_equity_pct: float = cd.DEFAULT_MIN_EQUITY_PCT, party_nos: Iterable[str] = (), action: str | None = None,
    channel: str = "wecom", lang: str | None = None, now: datetime,
) -> Batch:  # fmt: skip
    """A draft for every affected client of the caller's book (or the ones named, who must be in the
    book), in one transaction; the recovery statistics are computed once for all of them."""
    _require_writer(principal)
    _check_options(channel, lang or settings.locale, action)
    wanted = list(dict.fromkeys(n.strip() for n in party_nos if n.strip()))
    for no in wanted:
        _changeable(session, principal, no)
    if wanted:
        nos = wanted
        affected = len(wanted)
    else:
        found = affected_clients(session, principal, settings, fall=fall, min_equity_pct=min_equity_pct,
                                 as_of=business_day(settings, now))  # fmt: skip
        nos, affected = [a.party_no for a in found], len(found)
    if len(nos) > MAX_BATCH:
        raise InputError(f"{len(nos)} clients at once is more than {MAX_BATCH}: raise the equity threshold or name the clients",
                         errors=[FieldError(("client_nos",), f"at most {MAX_BATCH}", len(nos))])  # fmt: skip
    stats = recovery(settings, fall)
    drafts = []
    for no in nos:
        chosen = action if action != cd.PROPOSAL else None  # a batch proposes where a proposal exists
        drafts.append(draft_message(session, principal, settings, no, fall=fall, action=chosen, channel=channel,
                                    lang=lang, now=now, stats=stats))  # fmt: skip
    return Batch(drafts, affected)


def _open(session: Session, party: Party) -> CrisisDraft:
    found = session.scalars(select(CrisisDraft).where(CrisisDraft.party_id == party.id,
                                                      CrisisDraft.status.in_(cd.OPEN_STATUSES))
                            .order_by(CrisisDraft.id.desc())).first()  # fmt: skip
    if found is None:
        raise NotFound(f"client {party.party_no} has no open crisis draft")
    return found


def open_draft(session: Session, principal: Principal, party_no: str) -> CrisisDraft:
    """The client's open crisis draft (draft, held or approved)."""
    _require_reader(principal)
    return _open(session, readable_party(session, principal, party_no))


def edit_draft(
    session: Session, principal: Principal, settings: Settings, party_no: str, *, body: str, now: datetime
) -> CrisisDraft:
    """Replace the open draft's text and scan it again: clean -> draft, a finding -> held (with the reason).
    An approved draft that is edited needs scanning (or compliance) again."""
    _require_writer(principal)
    draft = _open(session, _changeable(session, principal, party_no))
    text = body.strip()
    if not text or len(text) > cd.BODY_MAX:
        raise InputError("the message needs a text",
                         errors=[FieldError(("body",), f"1 to {cd.BODY_MAX} characters", body[:80])])  # fmt: skip
    found = _scan(settings, draft.subject, text, business_day(settings, now))
    before = draft.status
    draft.body, draft.edits, draft.updated_at = text, draft.edits + 1, now
    draft.status = cd.status_after_scan(found.ok)
    draft.scan_codes = ",".join(found.codes)[:200]
    draft.scan_reason = "; ".join(f.message_en for f in found.findings)
    audit.append(session, principal, "crisis.edit", at=now, party_id=draft.party_id,
                 detail=f"crisis draft {draft.id}: {before} -> {draft.status} {draft.scan_codes}".strip())  # fmt: skip
    return draft


def decide_draft(
    session: Session, principal: Principal, party_no: str, *, approve: bool, reason: str, now: datetime
) -> CrisisDraft:
    """Compliance releases a held draft to be sent as it stands (approved) or rejects it; reason required."""
    if principal.role is not Role.COMPLIANCE:
        raise PermissionDenied("only compliance decides held crisis messages")
    draft = _open(session, readable_party(session, principal, party_no))
    if draft.status != cd.HELD:
        raise InputError(
            f"the draft is {draft.status}, not held",
            errors=[FieldError(("status",), "not held", draft.status)],
        )
    if not reason.strip():
        raise InputError("say why", errors=[FieldError(("reason",), "empty", reason)])
    draft.status = cd.APPROVED if approve else cd.REJECTED
    draft.reviewed_by_id, draft.reviewed_at, draft.review_reason, draft.updated_at = (
        principal.user_id,
        now,
        reason.strip()[:2000],
        now,
    )
    audit.append(session, principal, "crisis.approve" if approve else "crisis.reject", at=now, party_id=draft.party_id,
                 detail=f"crisis draft {draft.id}: {reason.strip()[:200]}")  # fmt: skip
    return draft


def send_draft(
    session: Session, principal: Principal, settings: Settings, party_no: str, *, now: datetime
) -> tuple[CrisisDraft, OutboxMessage]:
    """Put the open draft in the engagement outbox as a service message (guard rails apply: address,
    quiet hours; no marketing consent needed, an open complaint does not stop it), in this transaction;
    the worker sends it after commit. A held draft is refused until edited clean or approved."""
    _require_writer(principal)
    party = _changeable(session, principal, party_no)
    draft = _open(session, party)
    if draft.status not in cd.SENDABLE:
        raise InputError(f"the draft is held by the compliance scan ({draft.scan_reason}): edit it, or ask compliance",
                         errors=[FieldError(("status",), "held", draft.scan_codes)])  # fmt: skip
    if draft.status == cd.DRAFT:  # the policy file may have changed since the last scan
        found = _scan(settings, draft.subject, draft.body, business_day(settings, now))
        if not found.ok:
            draft.status, draft.scan_codes = cd.HELD, ",".join(found.codes)[:200]
            draft.scan_reason = "; ".join(f.message_en for f in found.findings)
            raise InputError(f"the draft is held by the compliance scan ({draft.scan_reason})",
                             errors=[FieldError(("body",), "held", draft.scan_codes)])  # fmt: skip
    key = f"crisis:{draft.id}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None:
        raise Conflict(f"crisis draft {draft.id} is already in the outbox")
    message = OutboxMessage(
        idempotency_key=key, party_id=party.id, rule_key=RULE_KEY, template_key=RULE_KEY, channel=draft.channel,
        lang=draft.lang, recipient="", subject=draft.subject[:300], body=draft.body, marketing=False, status=PENDING,
        reason_code="", reason="", attempts=0, next_attempt_at=now, last_error="", provider_id="", created_at=now,
        reviewed_by_id=draft.reviewed_by_id, reviewed_at=draft.reviewed_at,
    )  # fmt: skip
    recipient = engagement.address_of(party, draft.channel)
    if not recipient:
        message.status, message.reason_code = SUPPRESSED, "no_address"
        message.reason = f"the client has no {draft.channel} address"
    else:
        message.recipient = recipient
        recipients = engagement.recipient_facts(session, settings, [party.id], now, with_products=False)
        decision = guard.check(guard.MessageFacts(channel=draft.channel, marketing=False), recipients.state(party.id),
                               now, recipients.policy)  # fmt: skip
        if not decision.allowed:
            message.status, message.reason_code, message.reason = (
                SUPPRESSED,
                decision.reason_code,
                decision.reason_en,
            )
        elif decision.send_after is not None:
            message.next_attempt_at = decision.send_after
            message.reason_code, message.reason = decision.reason_code, decision.reason_en
    session.add(message)
    session.flush()
    draft.status, draft.sent_at, draft.message_id, draft.updated_at = cd.SENT, now, message.id, now
    audit.append(session, principal, "crisis.send", at=now, party_id=party.id,
                 detail=f"crisis draft {draft.id}: outbox message {message.id} {message.status}")  # fmt: skip
    return draft, message


# ----- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftView:
    draft: CrisisDraft
    party_no: str
    name: str
    author: str
    message_status: str | None  # the outbox row's status once sent

    @property
    def facts(self) -> dict[str, Any]:
        return json.loads(self.draft.facts or "{}")


def _views(session: Session, where: Any, *, limit: int = 500) -> list[DraftView]:
    rows = session.execute(
        select(CrisisDraft, Party.party_no, Party.name, User.username, OutboxMessage.status)
        .join(Party, Party.id == CrisisDraft.party_id).join(User, User.id == CrisisDraft.created_by_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == CrisisDraft.message_id)
        .where(where).order_by(CrisisDraft.updated_at.desc(), CrisisDraft.id.desc()).limit(limit)
    ).all()  # fmt: skip
    return [DraftView(*r) for r in rows]


def view(session: Session, draft: CrisisDraft) -> DraftView:
    """The view of a draft the caller already holds."""
    return _views(session, CrisisDraft.id == draft.id)[0]


def list_drafts(session: Session, principal: Principal, *, status: str = "") -> list[DraftView]:
    """Crisis drafts of the clients the caller may read, newest first; ``status`` filters."""
    _require_reader(principal)
    if status and status not in cd.STATUSES:
        raise InputError(
            "unknown status", errors=[FieldError(("status",), f"one of {', '.join(cd.STATUSES)}", status)]
        )
    where = readable_parties(principal)
    if status:
        where = where & (CrisisDraft.status == status)
    return _views(session, where)


def client_drafts(session: Session, principal: Principal, party_no: str) -> list[DraftView]:
    """A client's crisis drafts, newest first."""
    _require_reader(principal)
    party = readable_party(session, principal, party_no)
    return _views(session, CrisisDraft.party_id == party.id)


def get_draft(session: Session, principal: Principal, draft_id: int) -> DraftView:
    """One draft of a client the caller may read (NotFound otherwise)."""
    _require_reader(principal)
    found = (
        _views(session, (CrisisDraft.id == draft_id) & readable_parties(principal))
        if 1 <= draft_id <= MAX_ID
        else []
    )
    if not found:
        raise NotFound(f"no crisis draft {draft_id} among your clients")
    return found[0]


# ----- after the crisis ---------------------------------------------------------------------------


def post_crisis_reports(
    settings: Settings, sessions: sessionmaker[Session], principal: Principal, *, fall: MarketFall,
    party_nos: list[str], as_of: date, lang: str = "zh-CN", workers: int = 1,
) -> list[report_batch.Outcome]:  # fmt: skip
    """The post-crisis review (``post_crisis``) of the window for each client, through the reports batch
    (each client rendered and stored in its own transactions; a client whose review cannot be made is
    reported with the reason). Every client must be in the caller's book (checked first)."""
    _require_writer(principal)
    from fincrm.db.uow import unit_of_work

    with unit_of_work(sessions) as session:
        for no in party_nos:
            readable_party(session, principal, no)
    job = report_batch.Job(
        principal.username, "post_crisis", as_of, lang, subject=f"history:{fall.start}:{fall.end}"
    )
    return report_batch.run(settings, sessions, job, party_nos, workers=workers)


@dataclass(frozen=True)
class Invited:
    event_id: int
    invited: list[str]
    already: list[str]


def invite_to_meeting(
    session: Session, principal: Principal, *, party_nos: list[str], now: datetime, event_id: int | None = None,
    title_zh: str = "", title_en: str = "", starts_at: datetime | None = None, venue: str = "", capacity: int = 30,
    channel: str = "phone",
) -> Invited:  # fmt: skip
    """Invite the clients to a closed-door strategy meeting (闭门策略会): the event given, or a new one of
    kind ``strategy_meeting`` opened for invitations; RSVP is then tracked by the client events."""
    _require_writer(principal)
    if not party_nos:
        raise InputError("name the clients to invite", errors=[FieldError(("client_nos",), "empty", [])])
    for no in party_nos:
        _changeable(session, principal, no)
    if event_id is None:
        if starts_at is None:
            raise InputError(
                "the meeting needs a start time", errors=[FieldError(("starts_at",), "missing", None)]
            )
        event = gatherings.create_event(
            session, principal, kind="strategy_meeting", title_zh=title_zh, title_en=title_en, starts_at=starts_at,
            venue=venue, capacity=capacity, audience="市场大跌中受影响的客户 / clients hit by the market fall",
            status="open", now=now,
        )  # fmt: skip
        event_id = event.id
    invited, already = [], []
    for no in party_nos:
        try:
            with session.begin_nested():
                gatherings.invite(
                    session, principal, event_id, party_no=no, channel=channel, now=now, source="manual"
                )
            invited.append(no)
        except Conflict:
            already.append(no)
    return Invited(event_id, invited, already)


# ----- demo --------------------------------------------------------------------------------------


def seed_demo(session: Session, settings: Settings, *, now: datetime) -> int:
    """One crisis draft for rm001's client with the largest fall in the demo's recent fall (found with the
    default threshold); safe to rerun (nothing is made when rm001 already has a crisis draft). Returns
    the number of drafts made."""
    from fincrm.access.service import principal_of

    user = session.scalars(select(User).where(User.username == "rm001")).one_or_none()
    if user is None:
        return 0
    rm = principal_of(user)
    if (
        session.scalar(select(CrisisDraft.id).where(CrisisDraft.created_by_id == rm.user_id).limit(1))
        is not None
    ):
        return 0
    try:
        fall = find_fall(settings, on=business_day(settings, now))
    except InputError:
        return 0
    found = [a for a in affected_clients(session, rm, settings, fall=fall, min_equity_pct=0.0, as_of=business_day(settings, now))
             if a.drawdown is not None]  # fmt: skip
    if not found:
        return 0
    draft_message(session, rm, settings, found[0].party_no, fall=fall, now=now)
    return 1
