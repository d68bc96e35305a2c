"""Which clients each cadence rule hits on a day. Pure: pandas in, hits out.

``due_today(rules, facts, on)`` evaluates every enabled rule over the whole book at once
(vectorised: one pass of column operations per rule, no per-client Python loop except over the
distinct birth dates of lunar birthdays). ``hits_for_event`` runs the event rules (account opened,
first salary, large flow) for one event as it happens, through the same code, so the real-time hit
and the nightly hit of the same event carry the same idempotency key.

Idempotency: a hit's key is ``"{rule}:{party}:{anchor}"``, where the anchor is the occurrence the
hit is about (the birthday, the maturity date, the holiday, the quarter, the event id, the day of
the flow, the start of a drawdown episode), never the run date; running the same day twice, or the
next day over a window that still holds the same event, gives the same key, and the caller stores
a key once. State triggers (risk drift, attrition risk) anchor on the start of a ``repeat_days``
period, so a lasting state raises one task per period.

Event windows: event triggers hit events dated in the ``within_days`` days up to and including
``on``; date triggers (birthday, holiday, maturity, questionnaire expiry, quarterly review) hit on
exactly one day, so a day the run did not happen should be caught up by running that day.

Units: ``aum`` and amounts in the reporting currency; ``*_share`` columns are fractions (0.4 =
40 %); rule parameters ending in ``_pct`` are percent.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lunardate import LunarDate

from fincrm.engagement import calendar
from fincrm.engagement.rules import Rule
from fincrm.errors import FieldError, InputError

CLIENT_COLUMNS = (
    "party_no", "kind", "tier", "effective_risk", "aum", "birth_on", "birthday_lunar", "onboarded_on",
    "primary_rm_id", "industry_code", "attrition_score", "risk_drift", "questionnaire_valid_until",
    "equity_share",
)  # fmt: skip
_DATE_COLUMNS = ("birth_on", "onboarded_on", "questionnaire_valid_until")
EVENT_KINDS = ("account_opened", "first_salary", "large_flow")  # triggers also evaluated in real time
STALE_PRICES_DAYS = 7  # a drawdown is judged on a close at most this many days before the run date
HIT_COLUMNS = ("rule_key", "party_no", "on", "reason_zh", "reason_en", "evidence", "idempotency_key")
ROLE_LABELS = {  # key-person roles as shown in reasons
    "chairman": ("董事长", "chairman"), "decision_maker": ("决策人", "decision maker"),
    "cfo": ("财务总监", "CFO"), "operator": ("经办人", "operator"), "shareholder": ("股东", "shareholder"),
}  # fmt: skip


def _frame(*columns: str) -> Callable[[], pd.DataFrame]:
    return lambda: pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class BookFacts:
    """Columnar facts about the book on one day; every frame may be empty.

    ``clients`` has one row per client with ``CLIENT_COLUMNS`` (a missing column counts as empty)
    and may carry more ``<asset_class>_share`` columns (fraction of assets, look-through).
    ``flows`` amounts are signed (+ in, - out); several rows of a client on a day are summed per
    direction. ``relationships`` links a company (``company_party_no``) to a key person
    (``person_party_no``) with the person's role (``kind``: cfo, chairman, ...).
    """

    clients: pd.DataFrame = field(default_factory=_frame(*CLIENT_COLUMNS))
    first_salaries: pd.DataFrame = field(default_factory=_frame("party_no", "credited_on", "amount"))
    maturities: pd.DataFrame = field(default_factory=_frame("party_no", "product_code", "matures_on"))
    flows: pd.DataFrame = field(default_factory=_frame("party_no", "booked_on", "amount"))
    signals: pd.DataFrame = field(default_factory=_frame("party_no", "kind", "detected_on"))
    prices: pd.DataFrame = field(default_factory=_frame("series", "price_on", "price"))
    policy_events: pd.DataFrame = field(
        default_factory=_frame("event_id", "industry_code", "event_on", "direction", "headline")
    )
    relationships: pd.DataFrame = field(default_factory=_frame("company_party_no", "person_party_no", "kind"))


@dataclass(frozen=True)
class Hit:
    """One rule due for one client (or key person) on a day."""

    rule_key: str
    party_no: str
    on: date
    reason_zh: str
    reason_en: str
    evidence: dict[str, Any]
    idempotency_key: str


@dataclass(frozen=True)
class Event:
    """Something that just happened to a client: ``kind`` is one of ``EVENT_KINDS``.

    ``payload`` carries ``amount`` (signed, + in) for large_flow and optionally for first_salary.
    """

    kind: str
    party_no: str
    occurred_at: datetime
    payload: Mapping[str, Any] = field(default_factory=dict)


# --- Entry points ---------------------------------------------------------------------------------


def due_today(
    rules: Iterable[Rule], facts: BookFacts, on: date, *, include_disabled: bool = False
) -> list[Hit]:
    """Every hit of every enabled rule on ``on``, ordered by rule priority, rule key, client.

    Pure and repeatable: the same rules, facts and date give the same hits and keys, so a *dry
    run* is simply this call with nothing stored; ``include_disabled=True`` previews rules that are
    switched off (e.g. to size a new rule's audience before enabling it).

    Parameters
    ----------
    rules
        Parsed rules (``fincrm.engagement.rules``).
    facts
        The book's facts on ``on`` (see ``BookFacts``).
    on
        The run date, in the institution's timezone.
    include_disabled
        Evaluate disabled rules too.

    Returns
    -------
    list of Hit

    Examples
    --------
    >>> from fincrm.engagement.rules import load_rules
    >>> rules = load_rules('''
    ... rules:
    ...   - {key: birthday_call, name_zh: 生日, name_en: Birthday, priority: 3, marketing: false,
    ...      trigger: {kind: birthday, days_before: 3, calendar: client},
    ...      actions: [{kind: message, template: birthday_greeting, channel: sms}]}
    ... ''', "example.yaml")
    >>> clients = pd.DataFrame({"party_no": ["C1", "C2"], "kind": "individual",
    ...     "birth_on": [date(1990, 10, 3), date(1990, 10, 3)], "birthday_lunar": [True, False]})
    >>> [(h.party_no, h.idempotency_key) for h in due_today(rules, BookFacts(clients=clients), date(2026, 9, 22))]
    [('C1', 'birthday_call:C1:2026-09-25')]
    """
    return hits_from_frame(due_frame(rules, facts, on, include_disabled=include_disabled))


def due_frame(
    rules: Iterable[Rule], facts: BookFacts, on: date, *, include_disabled: bool = False
) -> pd.DataFrame:
    """``due_today`` as a DataFrame (``HIT_COLUMNS`` plus ``priority``), for bulk inserts."""
    clients = _prepared(facts.clients)
    parts = []
    for rule in sorted(rules, key=lambda r: (r.priority, r.key)):
        if not (rule.enabled or include_disabled):
            continue
        eligible = clients[_audience_mask(clients, rule)]
        found = _TRIGGERS[rule.trigger.kind](rule.trigger.params, eligible, facts, on)
        if rule.audience.key_persons and len(found):
            found = _to_key_persons(found, facts.relationships, rule.audience.key_persons)
        if not len(found):
            continue
        found = found.sort_values(["party_no", "anchor"], kind="stable")
        found.insert(0, "rule_key", rule.key)
        found["priority"] = rule.priority
        found["idempotency_key"] = rule.key + ":" + found["party_no"] + ":" + found["anchor"]
        parts.append(found)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (*HIT_COLUMNS, "priority")})
    out = pd.concat(parts, ignore_index=True).drop_duplicates("idempotency_key")
    out["on"] = on
    return out[[*HIT_COLUMNS, "priority"]].reset_index(drop=True)


def hits_from_frame(frame: pd.DataFrame) -> list[Hit]:
    """Hits from a ``due_frame`` result."""
    return [Hit(*row) for row in zip(*(frame[c].tolist() for c in HIT_COLUMNS), strict=True)]


def hits_for_event(
    rules: Iterable[Rule],
    event: Event,
    client_row: Mapping[str, Any],
    on: date,
    *,
    tz: tzinfo | None = None,
    frames: bool = False,
) -> list[Hit]:
    """The hits of the rules triggered by ``event``, for one client, as the event happens.

    Runs the same evaluation as ``due_today`` on a one-client book, so the key equals the one the
    nightly run gives for the same event and the caller stores it once.

    Parameters
    ----------
    rules
        All rules; only those whose trigger kind is ``event.kind`` run.
    event
        The event; ``occurred_at`` gives the event's date (converted to ``tz`` when given and aware).
    client_row
        The client's row (``CLIENT_COLUMNS``; missing ones count as empty).
    on
        Today, in the institution's timezone.
    tz
        The institution's timezone.
    frames
        Evaluate through the daily run's DataFrames instead of the plain real-time path (the
        same hits; tests compare the two).

    Raises
    ------
    InputError
        An event kind other than ``EVENT_KINDS``, or a large_flow without an amount.

    Examples
    --------
    >>> from fincrm.engagement.rules import load_rules
    >>> rules = load_rules('''
    ... rules:
    ...   - {key: welcome_call, name_zh: 欢迎, name_en: Welcome, priority: 1, marketing: false,
    ...      trigger: {kind: account_opened}, sla_minutes: 60,
    ...      actions: [{kind: task, title_zh: 致电, title_en: Call}]}
    ... ''', "example.yaml")
    >>> event = Event("account_opened", "C9", datetime(2026, 12, 1, 9, 30))
    >>> [h.idempotency_key for h in hits_for_event(rules, event, {"party_no": "C9", "kind": "individual"},
    ...                                                date(2026, 12, 1))]
    ['welcome_call:C9:2026-12-01']
    """
    if event.kind not in EVENT_KINDS:
        raise InputError(
            f"no real-time rules for event kind {event.kind!r}; valid: {', '.join(EVENT_KINDS)}",
            errors=[_field_error("kind", f"valid: {', '.join(EVENT_KINDS)}", event.kind)],
        )
    at = event.occurred_at
    day = (at.astimezone(tz) if tz is not None and at.tzinfo is not None else at).date()
    row = {c: client_row.get(c) for c in CLIENT_COLUMNS} | dict(client_row) | {"party_no": event.party_no}
    amount = event.payload.get("amount")
    facts_kw: dict[str, pd.DataFrame] = {}
    if event.kind == "account_opened":
        row["onboarded_on"] = day
    elif event.kind == "first_salary":
        facts_kw["first_salaries"] = pd.DataFrame(
            {"party_no": [event.party_no], "credited_on": [day], "amount": [amount]}
        )
    else:
        if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
            raise InputError(
                "a large_flow event needs a signed amount in its payload",
                errors=[_field_error("payload.amount", "a signed number (+ in, - out) is required", amount)],
            )
        facts_kw["flows"] = pd.DataFrame(
            {"party_no": [event.party_no], "booked_on": [day], "amount": [float(amount)]}
        )
    chosen = [r for r in rules if r.trigger.kind == event.kind]
    if frames:  # the columnar evaluation of the daily run: the oracle of the plain path
        facts = BookFacts(clients=pd.DataFrame([row]), **facts_kw)
        return due_today(chosen, facts, on)
    return _event_hits(chosen, event.kind, str(event.party_no), row, day, amount, on)


def _audience_ok(row: Mapping[str, Any], audience: Any) -> bool:
    """``_audience_mask`` for one client row (a missing value never passes a filter)."""
    if audience.kinds and row.get("kind") not in audience.kinds:
        return False
    if audience.tiers and row.get("tier") not in audience.tiers:
        return False
    if audience.risk_levels and row.get("effective_risk") not in audience.risk_levels:
        return False
    aum = row.get("aum")
    aum = None if aum is None or (isinstance(aum, float) and aum != aum) else float(aum)
    if audience.min_aum_amount is not None and (aum is None or aum < audience.min_aum_amount):
        return False
    return not (audience.max_aum_amount is not None and (aum is None or aum > audience.max_aum_amount))


def _event_hits(
    rules: list[Rule], kind: str, party_no: str, row: Mapping[str, Any], day: date, amount: Any, on: date
) -> list[Hit]:
    """The real-time path of ``hits_for_event``: the same hits as ``due_today`` on a one-client book
    (a test holds them equal), in plain Python. Building DataFrames for one client cost 23-50 ms an
    event (measured by benchmarks/engagement.py); this costs microseconds."""
    out: dict[str, Hit] = {}
    for rule in sorted(rules, key=lambda r: (r.priority, r.key)):
        if not rule.enabled or rule.audience.key_persons or not _audience_ok(row, rule.audience):
            continue  # key-person rules need the relationships, which a single event does not carry
        params = rule.trigger.params
        if not on - timedelta(days=params["within_days"]) < day <= on:
            continue
        iso = day.isoformat()
        if kind == "account_opened":
            anchor, zh, en, evidence = (
                iso,
                "开户日期 " + iso,
                "Account opened on " + iso,
                {"onboarded_on": iso},
            )
        elif kind == "first_salary":
            anchor, zh, en = iso, "首笔代发工资到账 " + iso, "First salary credited on " + iso
            evidence = {"credited_on": iso, "amount": amount}
        else:
            value = float(amount)
            inbound = params["direction"] == "in"
            if not (value > 0 if inbound else value < 0) or abs(value) < params["min_amount"]:
                continue
            shown = f"{abs(value):,.2f}"
            word_zh, word_en = ("转入", "in") if inbound else ("转出", "out")
            anchor = params["direction"] + "@" + iso
            zh, en = f"{iso} 当日资金{word_zh} {shown}", f"Money {word_en} on {iso}: {shown}"
            evidence = {
                "booked_on": iso,
                "amount": abs(value),
                "transactions": 1,
                "direction": params["direction"],
            }
        key = f"{rule.key}:{party_no}:{anchor}"
        out.setdefault(key, Hit(rule.key, party_no, on, zh, en, evidence, key))
    return list(out.values())


def _field_error(name: str, msg: str, value: Any) -> FieldError:
    return FieldError(("event", name), msg, value)


# --- Preparation and audience ---------------------------------------------------------------------


def _days(values: pd.Series) -> pd.Series:
    """A date column as datetime64 (NaT where empty)."""
    return pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")


def _iso(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d")


def _prepared(clients: pd.DataFrame) -> pd.DataFrame:
    out = clients.copy()
    for column in CLIENT_COLUMNS:
        if column not in out.columns:
            out[column] = None
    out["party_no"] = out["party_no"].astype(str)
    for column in _DATE_COLUMNS:
        out[column] = _days(out[column])
    for column in ("birthday_lunar", "risk_drift"):
        out[column] = out[column].fillna(False).astype(bool)
    for column in ("aum", "attrition_score"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    for column in [c for c in out.columns if c.endswith("_share")]:
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


def _audience_mask(clients: pd.DataFrame, rule: Rule) -> pd.Series:
    audience = rule.audience
    mask = pd.Series(True, index=clients.index)
    if audience.kinds:
        mask &= clients["kind"].isin(audience.kinds)
    if audience.tiers:
        mask &= clients["tier"].isin(audience.tiers)
    if audience.risk_levels:
        mask &= clients["effective_risk"].isin(audience.risk_levels)
    if audience.min_aum_amount is not None:
        mask &= clients["aum"] >= audience.min_aum_amount
    if audience.max_aum_amount is not None:
        mask &= clients["aum"] <= audience.max_aum_amount
    return mask


def _to_key_persons(found: pd.DataFrame, relationships: pd.DataFrame, kinds: tuple[str, ...]) -> pd.DataFrame:
    """Replace each company hit by hits for its key persons of ``kinds``."""
    links = relationships[relationships["kind"].isin(kinds)][["company_party_no", "person_party_no", "kind"]]
    joined = found.merge(links, left_on="party_no", right_on="company_party_no", how="inner")
    if not len(joined):
        return joined.iloc[:0][["party_no", "anchor", "reason_zh", "reason_en", "evidence"]]
    role_zh = joined["kind"].map(lambda k: ROLE_LABELS[k][0])
    role_en = joined["kind"].map(lambda k: ROLE_LABELS[k][1])
    company = joined["company_party_no"].astype(str)
    return pd.DataFrame(
        {
            "party_no": joined["person_party_no"].astype(str),
            "anchor": joined["anchor"] + ":" + company,
            "reason_zh": "（" + company + " " + role_zh + "）" + joined["reason_zh"],
            "reason_en": "(" + role_en + " of " + company + ") " + joined["reason_en"],
            "evidence": [
                {**ev, "company_party_no": c, "role": k}
                for ev, c, k in zip(joined["evidence"], company, joined["kind"], strict=True)
            ],
        }
    )


def _result(
    party_no: pd.Series, anchor: pd.Series | str, reason_zh: pd.Series | str, reason_en: pd.Series | str,
    evidence: list[dict[str, Any]],
) -> pd.DataFrame:  # fmt: skip
    frame = pd.DataFrame({"party_no": party_no.astype(str).to_numpy()})
    for name, value in (("anchor", anchor), ("reason_zh", reason_zh), ("reason_en", reason_en)):
        frame[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    frame["evidence"] = evidence
    return frame


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ("party_no", "anchor", "reason_zh", "reason_en", "evidence")}
    )


def _window(values: pd.Series, on: date, within_days: int) -> pd.Series:
    """Dates in the ``within_days`` days up to and including ``on``."""
    end = pd.Timestamp(on)
    return (values <= end) & (values > end - pd.Timedelta(days=within_days))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-friendly row dicts: dates as ISO strings, numpy scalars as Python ones."""
    plain = frame.copy()
    for column in plain.columns:
        if pd.api.types.is_datetime64_any_dtype(plain[column]):
            plain[column] = _iso(plain[column])
    return plain.astype(object).where(plain.notna(), None).to_dict("records")


# --- Triggers: one function per kind of rules.TRIGGER_KINDS ---------------------------------------

Params = Mapping[str, Any]


def _account_opened(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    hit = clients[_window(clients["onboarded_on"], on, params["within_days"])]
    day = _iso(hit["onboarded_on"])
    return _result(
        hit["party_no"], day, "开户日期 " + day, "Account opened on " + day, _records(hit[["onboarded_on"]])
    )


def _member(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` for client numbers, as a boolean array.

    pandas 3's ``isin`` on Arrow-backed strings turns ``among`` into Python scalars one at a time
    (seconds for a book of a million clients, for each trigger); Arrow's ``is_in`` hashes it in C.
    """
    left = pa.array(values.astype("str"))
    right = pa.array(among.astype("str")).cast(left.type)
    return pc.fill_null(pc.is_in(left, value_set=right), False).to_numpy(zero_copy_only=False)


def _first_salary(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    rows = facts.first_salaries.copy()
    if "amount" not in rows.columns:
        rows["amount"] = None
    rows["credited_on"] = _days(rows["credited_on"])
    rows = rows[
        _member(rows["party_no"], clients["party_no"])
        & _window(rows["credited_on"], on, params["within_days"])
    ]
    rows = rows.sort_values(["party_no", "credited_on"], kind="stable").drop_duplicates("party_no")
    day = _iso(rows["credited_on"])
    return _result(
        rows["party_no"], day, "首笔代发工资到账 " + day, "First salary credited on " + day,
        _records(rows[["credited_on", "amount"]]),
    )  # fmt: skip


def _product_maturing(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    rows = facts.maturities.copy()
    rows["matures_on"] = _days(rows["matures_on"])
    target = pd.Timestamp(on + timedelta(days=params["days"]))
    rows = rows[(rows["matures_on"] == target) & _member(rows["party_no"], clients["party_no"])]
    if not len(rows):
        return _empty()
    grouped = rows.groupby("party_no", sort=True)["product_code"].agg(lambda s: sorted(set(map(str, s))))
    day = target.strftime("%Y-%m-%d")
    codes = grouped.map(", ".join).astype(str)
    return _result(
        pd.Series(grouped.index), day, day + " 到期：" + codes, "Maturing on " + day + ": " + codes,
        [{"matures_on": day, "products": list(p)} for p in grouped],
    )  # fmt: skip


def _large_flow(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    rows = facts.flows.copy()
    rows["booked_on"] = _days(rows["booked_on"])
    rows["amount"] = pd.to_numeric(rows["amount"], errors="coerce").astype(float)
    inbound = params["direction"] == "in"
    rows = rows[
        (rows["amount"] > 0 if inbound else rows["amount"] < 0)
        & _window(rows["booked_on"], on, params["within_days"])
        & _member(rows["party_no"], clients["party_no"])
    ]
    if not len(rows):
        return _empty()
    daily = (
        rows.assign(amount=rows["amount"].abs())
        .groupby(["party_no", "booked_on"], as_index=False)
        .agg(amount=("amount", "sum"), transactions=("amount", "size"))
    )
    daily = daily[daily["amount"] >= params["min_amount"]]
    day = _iso(daily["booked_on"])
    shown = daily["amount"].map("{:,.2f}".format).astype(str)
    zh, en = ("转入", "in") if inbound else ("转出", "out")
    evidence = _records(daily[["booked_on", "amount", "transactions"]])
    for ev in evidence:
        ev["direction"] = params["direction"]
    return _result(
        daily["party_no"], params["direction"] + "@" + day, day + f" 当日资金{zh} " + shown,
        f"Money {en} on " + day + ": " + shown, evidence,
    )  # fmt: skip


def drawdown(
    prices: pd.DataFrame, series: str, on: date, within_days: int, fall_pct: float
) -> dict[str, Any] | None:
    """The drawdown episode of ``series`` still going on at the latest close on or before ``on``.

    The fall at a close is ``1 - close / max(previous within_days closes)``; an episode is the run
    of consecutive closes whose fall is at least ``fall_pct`` percent, and it is identified by its
    first close. No episode when the latest close is older than ``STALE_PRICES_DAYS``.

    Examples
    --------
    >>> days = pd.date_range("2026-11-16", periods=6, freq="B")
    >>> prices = pd.DataFrame({"series": "X", "price_on": days, "price": [100, 99, 95, 92, 91, 90]})
    >>> episode = drawdown(prices, "X", date(2026, 11, 23), 5, 7)
    >>> episode["start_on"], episode["fall_pct"], episode["peak_on"]
    ('2026-11-19', 10.0, '2026-11-16')
    """
    rows = prices[prices["series"] == series].copy()
    rows["price_on"] = _days(rows["price_on"])
    rows = (
        rows[rows["price_on"] <= pd.Timestamp(on)]
        .sort_values("price_on")
        .drop_duplicates("price_on", keep="last")
    )
    closes = rows["price"].astype(float).to_numpy()
    if len(closes) < 2 or rows["price_on"].iloc[-1] < pd.Timestamp(on - timedelta(days=STALE_PRICES_DAYS)):
        return None
    peaks = pd.Series(closes).shift(1).rolling(within_days, min_periods=1).max().to_numpy()
    falls = 1 - closes / peaks  # NaN at the first close
    hit = np.nan_to_num(falls, nan=0.0) * 100 >= fall_pct - 1e-9
    if not hit[-1]:
        return None
    start = len(hit) - 1
    while start > 0 and hit[start - 1]:
        start -= 1
    last = len(closes) - 1
    window = closes[max(0, last - within_days) : last]
    peak_at = max(0, last - within_days) + int(np.argmax(window))
    dates = rows["price_on"].dt.strftime("%Y-%m-%d").tolist()
    return {
        "series": series, "start_on": dates[start], "fall_pct": round(float(falls[-1]) * 100, 2),
        "peak_on": dates[peak_at], "peak": float(closes[peak_at]), "close_on": dates[-1], "close": float(closes[-1]),
    }  # fmt: skip


def _market_drawdown(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    column = f"{params['asset_class']}_share"
    episode = drawdown(facts.prices, params["series"], on, params["within_days"], params["fall_pct"])
    if episode is None or column not in clients.columns:
        return _empty()
    hit = clients[clients[column] * 100 >= params["min_exposure_pct"] - 1e-9]
    share = (hit[column] * 100).round(0).astype(int).astype(str)
    fall = f"{episode['fall_pct']:.1f}%"
    series, days = params["series"], params["within_days"]
    return _result(
        hit["party_no"], f"{series}@{episode['start_on']}",
        f"{series} {days} 个交易日内下跌 {fall}，" + params["asset_class"] + " 占比 " + share + "%",
        f"{series} fell {fall} within {days} trading days; " + params["asset_class"] + " share " + share + "%",
        [{**episode, "exposure_pct": float(s)} for s in (hit[column] * 100).round(2)],
    )  # fmt: skip


def _lunar_hits(births: pd.Series, target: date) -> pd.Series:
    """Which births (datetime64) have their lunar birthday on ``target``."""
    lunar = LunarDate.from_solar_date(target.year, target.month, target.day)
    if lunar.is_leap_month:  # leap-month births celebrate in the regular month: none falls here
        return pd.Series(False, index=births.index)
    wanted = {(lunar.month, lunar.day)}
    if lunar.day == 29 and calendar.lunar_to_solar(lunar.year, lunar.month, 30) == target:
        wanted.add((lunar.month, 30))  # a 30th birthday in a 29-day month
    distinct = pd.DatetimeIndex(births.dropna().unique())
    matches = []
    for value in distinct:  # distinct birth dates only: tens of thousands even for a large book
        try:
            matches.append(calendar.lunar_month_day(value.date()) in wanted)
        except ValueError:  # outside the lunar tables (before 1900)
            matches.append(False)
    lookup = pd.Series(matches, index=distinct, dtype=bool)
    return births.map(lookup).fillna(False).astype(bool)


def _birthday(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    target = on + timedelta(days=params["days_before"])
    births = clients["birth_on"]
    lunar_flag = {
        "solar": pd.Series(False, index=clients.index),
        "lunar": pd.Series(True, index=clients.index),
    }.get(params["calendar"], clients["birthday_lunar"])
    feb29_moved = target.month == 2 and target.day == 28 and not _gregorian.isleap(target.year)
    solar = (births.dt.month == target.month) & (births.dt.day == target.day)
    if feb29_moved:
        solar |= (births.dt.month == 2) & (births.dt.day == 29)
    mask = births.notna() & ~lunar_flag & solar
    if lunar_flag.any():
        mask |= lunar_flag & _lunar_hits(births.where(lunar_flag), target)
    hit = clients[mask]
    day = target.isoformat()
    is_lunar = lunar_flag[mask]
    return _result(
        hit["party_no"], day,
        day + " 生日" + is_lunar.map({True: "（农历）", False: ""}),
        "Birthday on " + day + is_lunar.map({True: " (lunar calendar)", False: ""}),
        [{"birthday_on": day, "calendar": "lunar" if flag else "solar"} for flag in is_lunar],
    )  # fmt: skip


def _holiday(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    target = on + timedelta(days=params["days_before"])
    parts = []
    for day, key in calendar.holidays_between(target, target):
        if key not in params["names"]:
            continue
        zh, en = calendar.HOLIDAY_LABELS[key]
        iso = day.isoformat()
        parts.append(
            _result(
                clients["party_no"],
                f"{key}@{iso}",
                f"{zh}（{iso}）",
                f"{en} ({iso})",
                [{"holiday": key, "holiday_on": iso} for _ in range(len(clients))],
            )  # fmt: skip
        )
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def _quarterly_review(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    quarter = (on.month - 1) // 3 + 1
    due = date(on.year, 3 * quarter - 2, 1) + timedelta(days=params["day_of_quarter"] - 1)
    if on != due:
        return _empty()
    hit = clients[clients["tier"].isin(params["tiers"])]
    label = f"{on.year}Q{quarter}"
    return _result(
        hit["party_no"], label, label + " 季度检视（" + hit["tier"].astype(str) + "）",
        label + " quarterly review (" + hit["tier"].astype(str) + ")",
        [{"quarter": label, "tier": t} for t in hit["tier"]],
    )  # fmt: skip


def _life_stage_signal(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    rows = facts.signals.copy()
    rows["detected_on"] = _days(rows["detected_on"])
    rows = rows[
        rows["kind"].isin(params["kinds"])
        & _window(rows["detected_on"], on, params["within_days"])
        & _member(rows["party_no"], clients["party_no"])
    ].drop_duplicates(["party_no", "kind", "detected_on"])
    day = _iso(rows["detected_on"])
    return _result(
        rows["party_no"], rows["kind"] + "@" + day, day + " 识别到人生阶段信号：" + rows["kind"],
        "Life-stage signal " + rows["kind"] + " on " + day, _records(rows[["kind", "detected_on"]]),
    )  # fmt: skip


def _period_start(on: date, repeat_days: int) -> str:
    return date.fromordinal(on.toordinal() // repeat_days * repeat_days).isoformat()


def _risk_drift(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    hit = clients[clients["risk_drift"]]
    level = hit["effective_risk"].fillna("?").astype(str)
    return _result(
        hit["party_no"], _period_start(on, params["repeat_days"]), "交易行为偏离风险测评，有效风险等级 " + level,
        "Behaviour drifted from the questionnaire; effective risk " + level,
        _records(hit[["effective_risk"]]),
    )  # fmt: skip


def _attrition_risk(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    hit = clients[clients["attrition_score"] >= params["min_score"] - 1e-12]
    score = hit["attrition_score"].map("{:.2f}".format).astype(str)
    return _result(
        hit["party_no"], _period_start(on, params["repeat_days"]), "流失风险评分 " + score,
        "Attrition risk score " + score, [{"attrition_score": round(float(s), 4)} for s in hit["attrition_score"]],
    )  # fmt: skip


def _industry_policy(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    events = facts.policy_events.copy()
    events["event_on"] = _days(events["event_on"])
    events = events[
        events["direction"].isin(params["sentiment"]) & _window(events["event_on"], on, params["within_days"])
    ]
    codes = clients["industry_code"].fillna("").astype(str)
    parts = []
    for event in events.sort_values(["event_on", "event_id"]).itertuples(index=False):
        # an event for a section ("C") or division ("C39") covers every client code under it
        hit = clients[codes.str.startswith(str(event.industry_code)) & (codes != "")]
        if not len(hit):
            continue
        iso = event.event_on.strftime("%Y-%m-%d")
        evidence = {
            "event_id": event.event_id, "industry_code": event.industry_code, "event_on": iso,
            "direction": event.direction, "headline": event.headline,
        }  # fmt: skip
        parts.append(
            _result(
                hit["party_no"],
                str(event.event_id),
                f"行业政策（{iso}）：{event.headline}",
                f"Industry policy ({event.direction}, {iso}): {event.headline}",
                [dict(evidence) for _ in range(len(hit))],
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def _questionnaire_expiry(params: Params, clients: pd.DataFrame, facts: BookFacts, on: date) -> pd.DataFrame:
    target = pd.Timestamp(on + timedelta(days=params["days_before"]))
    hit = clients[clients["questionnaire_valid_until"] == target]
    day = target.strftime("%Y-%m-%d")
    return _result(
        hit["party_no"], day, "风险测评 " + day + " 到期", "Risk questionnaire expires on " + day,
        [{"valid_until": day} for _ in range(len(hit))],
    )  # fmt: skip


_TRIGGERS: dict[str, Callable[[Params, pd.DataFrame, BookFacts, date], pd.DataFrame]] = {
    "account_opened": _account_opened,
    "first_salary": _first_salary,
    "product_maturing": _product_maturing,
    "large_flow": _large_flow,
    "market_drawdown": _market_drawdown,
    "birthday": _birthday,
    "holiday": _holiday,
    "quarterly_review": _quarterly_review,
    "life_stage_signal": _life_stage_signal,
    "risk_drift": _risk_drift,
    "attrition_risk": _attrition_risk,
    "industry_policy": _industry_policy,
    "questionnaire_expiry": _questionnaire_expiry,
}
