"""The facts the cadence rules read, loaded from the store and the lake into ``BookFacts``.

One query per frame, each returning columns (no per-client round trips), so the daily run over a
large book stays a handful of scans. The client row takes the nightly profile (tier, effective
risk, attrition score, risk drift, questionnaire expiry) from the current profile version; before
the first batch run, or for a client the batch has not profiled, it falls back to what the store
says directly: assets from holdings, tier from the ``FINCRM_TIER_*`` thresholds, risk level and
expiry from the latest questionnaire, no attrition score and no drift.

Dates are business dates in ``settings.timezone``; lake timestamps (UTC) are converted before
they are cut into days. Amounts are in the reporting currency; ``*_share`` columns are fractions
of the client's invested assets by look-through asset class.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from fincrm.clients.domain import AccountRole, PartyKind, PartyStatus
from fincrm.clients.models import LifeEvent, Party
from fincrm.clients.profile_models import VERSION_CURRENT, ClientSignal, ProfileVersion
from fincrm.config import Settings
from fincrm.core.clock import start_of_day_utc
from fincrm.engagement.evaluate import BookFacts
from fincrm.engagement.rules import ASSET_CLASSES, KEY_PERSON_KINDS
from fincrm.lake.analytics import connect

LOOKBACK_DAYS = 35  # events (salaries, flows, signals, policy) older than this are not loaded
MATURITY_HORIZON_DAYS = 370  # maturities up to this many days ahead
PRICE_LOOKBACK_DAYS = 400  # market closes loaded for drawdowns (a year of closes and more)
MIN_FLOW_AMOUNT = 50_000  # daily totals per direction below this are not loaded (reporting currency)
INFLOW_KINDS = ("deposit", "transfer_in")  # new money, not product trades or interest
OUTFLOW_KINDS = ("withdrawal", "transfer_out")


def load_book_facts(
    session: Session,
    settings: Settings,
    on: date,
    *,
    lookback_days: int = LOOKBACK_DAYS,
    min_flow_amount: float = MIN_FLOW_AMOUNT,
) -> BookFacts:
    """Everything the cadence rules read about the whole book on ``on``.

    Parameters
    ----------
    session
        A store session (read only here).
    settings
        For the lake path, the timezone and the tier thresholds.
    on
        The business date of the run.
    lookback_days
        How far back events are loaded; rule windows (``within_days``) must not exceed it.
    min_flow_amount
        Smallest daily inflow or outflow per client loaded (reporting currency); large-flow rules
        below it would miss.

    Returns
    -------
    BookFacts
    """
    since = on - timedelta(days=lookback_days - 1)
    # The lake (DuckDB, its own threads) is read while the store is: both release the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        lake_read = pool.submit(_lake_frames, settings, on, since, min_flow_amount)
        clients = _clients(session, settings, on)
        maturities, signals, relationships = (
            _maturities(session, on),
            _signals(session, settings, on, since),
            _relationships(session),
        )
        lake = lake_read.result()
    return BookFacts(
        clients=clients,
        first_salaries=lake["first_salaries"],
        maturities=maturities,
        flows=lake["flows"],
        signals=signals,
        prices=lake["prices"],
        policy_events=lake["policy_events"],
        relationships=relationships,
    )


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _query(session: Session, sql: str, params: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    """Rows of a plain SQL query as a frame, read through the driver's own cursor in the session's
    transaction: no ORM rows and no per-value type processing, which at a million clients cost
    most of the time (dates then arrive as ISO text on SQLite and as dates on PostgreSQL; callers
    convert columns as frames). ``sql`` names parameters ``:name``."""
    connection = session.connection()
    if connection.dialect.paramstyle in ("pyformat", "format"):
        sql = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
    if connection.dialect.name == "sqlite":  # dates are stored as ISO text there
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, params)
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def _dates(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, errors="coerce").astype("datetime64[ns]")


def _clients(session: Session, settings: Settings, on: date) -> pd.DataFrame:
    parties = _query(
        session,
        "SELECT id, party_no, kind, birth_on, birthday_lunar, onboarded_on, primary_rm_id, industry_code "
        "FROM parties WHERE status <> :closed",
        {"closed": PartyStatus.CLOSED.value},
        ["party_id", "party_no", "kind", "birth_on", "birthday_lunar", "onboarded_on", "primary_rm_id", "industry_code"],
    )  # fmt: skip
    version_id = session.scalar(select(ProfileVersion.id).where(ProfileVersion.status == VERSION_CURRENT))
    profile_columns = ["party_id", "tier", "effective_risk", "aum", "attrition_score", "risk_drift", "questionnaire_valid_until"]  # fmt: skip
    profiles = _query(
        session,
        "SELECT party_id, tier, effective_risk, CAST(aum_amount AS DOUBLE PRECISION), "
        "CAST(attrition_score AS DOUBLE PRECISION), risk_drift, questionnaire_valid_until "
        "FROM client_profiles WHERE version_id = :version",
        {"version": version_id if version_id is not None else -1},
        profile_columns,
    )  # fmt: skip
    out = parties.merge(profiles, on="party_id", how="left")

    positions = _positions(session)
    out = out.merge(positions, on="party_id", how="left")
    for column in [c for c in positions.columns if c.endswith("_share")]:
        out[column] = out[column].fillna(0.0)  # no holdings: no exposure
    # fallback for clients without a profile: assets from holdings, tier from the thresholds
    held = out["held_amount"].fillna(0.0)
    out["aum"] = pd.to_numeric(out["aum"], errors="coerce").astype(float).fillna(held)
    out["attrition_score"] = pd.to_numeric(out["attrition_score"], errors="coerce").astype(float)
    hnw, mass = float(settings.tier_hnw_min_amount), float(settings.tier_mass_min_amount)
    fallback_tier = (
        pd.Series("long_tail", index=out.index)
        .mask(out["aum"] >= mass, "mass")
        .mask(out["aum"] >= hnw, "hnw")
    )
    out["tier"] = out["tier"].fillna(fallback_tier)

    latest = _latest_questionnaires(session, version_id)
    out = out.merge(latest, on="party_id", how="left")
    out["effective_risk"] = out["effective_risk"].fillna(out["questionnaire_level"])
    out["questionnaire_valid_until"] = _dates(out["questionnaire_valid_until"]).fillna(
        _dates(out["latest_valid_until"])
    )
    out["risk_drift"] = out["risk_drift"].astype("boolean").fillna(False).astype(bool)
    out["birthday_lunar"] = out["birthday_lunar"].astype("boolean").fillna(False).astype(bool)
    for column in ("birth_on", "onboarded_on"):
        out[column] = _dates(out[column])
    drop = ["party_id", "held_amount", "questionnaire_level", "latest_valid_until"]
    return out.drop(columns=drop).sort_values("party_no", kind="stable").reset_index(drop=True)


def _positions(session: Session) -> pd.DataFrame:
    """Per party: held market value and the look-through share of each asset class, in one pass over
    the holdings (each product's exposure weights pivoted to one row first)."""
    weights = ", ".join(
        f"SUM(CASE WHEN asset_class = '{c}' THEN weight_pct ELSE 0 END) / 100 AS {c}" for c in ASSET_CLASSES
    )
    amounts = ", ".join(
        f"CAST(SUM(h.market_value_amount * COALESCE(x.{c}, 0)) AS DOUBLE PRECISION)" for c in ASSET_CLASSES
    )
    out = _query(
        session,
        f"WITH x AS (SELECT product_id, {weights} FROM product_exposures GROUP BY product_id) "
        f"SELECT o.party_id, CAST(SUM(h.market_value_amount) AS DOUBLE PRECISION), {amounts} "
        "FROM holdings h JOIN account_parties o ON o.account_id = h.account_id AND o.role = :owner "
        "LEFT JOIN x ON x.product_id = h.product_id GROUP BY o.party_id",
        {"owner": AccountRole.OWNER.value},
        ["party_id", "held_amount", *(f"{c}_share" for c in ASSET_CLASSES)],
    )
    total = out["held_amount"].astype(float).where(out["held_amount"] > 0)
    for c in ASSET_CLASSES:
        out[f"{c}_share"] = (out[f"{c}_share"].astype(float) / total).fillna(0.0)
    out["held_amount"] = out["held_amount"].astype(float)
    return out


def _latest_questionnaires(session: Session, version_id: int | None) -> pd.DataFrame:
    """The latest questionnaire of each client whose current profile lacks its risk level or expiry
    (all clients before the first batch run): level and valid-until date."""
    return _query(
        session,
        "SELECT party_id, level, valid_until FROM ("
        " SELECT r.party_id, r.level, r.valid_until,"
        "  ROW_NUMBER() OVER (PARTITION BY r.party_id ORDER BY r.taken_on DESC, r.id DESC) AS n"
        " FROM risk_assessments r LEFT JOIN client_profiles p ON p.party_id = r.party_id AND p.version_id = :version"
        " WHERE p.party_id IS NULL OR p.effective_risk IS NULL OR p.questionnaire_valid_until IS NULL"
        ") latest WHERE n = 1",
        {"version": version_id if version_id is not None else -1},
        ["party_id", "questionnaire_level", "latest_valid_until"],
    )


def _maturities(session: Session, on: date) -> pd.DataFrame:
    rows = _query(
        session,
        "SELECT DISTINCT p.party_no, pr.code, pr.matures_on FROM holdings h "
        "JOIN account_parties o ON o.account_id = h.account_id AND o.role = :owner "
        "JOIN parties p ON p.id = o.party_id JOIN products pr ON pr.id = h.product_id "
        "WHERE h.units > 0 AND pr.matures_on >= :first AND pr.matures_on <= :last",
        {"owner": AccountRole.OWNER.value, "first": on, "last": on + timedelta(days=MATURITY_HORIZON_DAYS)},
        ["party_no", "product_code", "matures_on"],
    )
    rows["matures_on"] = _dates(rows["matures_on"])
    return rows


def _signals(session: Session, settings: Settings, on: date, since: date) -> pd.DataFrame:
    """Life-stage signals of the current profile version, and life events recorded by staff or rules."""
    signals = _frame(
        session.execute(
            select(Party.party_no, ClientSignal.kind, ClientSignal.detected_on)
            .select_from(ClientSignal)
            .join(Party, Party.id == ClientSignal.party_id)
            .join(ProfileVersion, ProfileVersion.id == ClientSignal.version_id)
            .where(ProfileVersion.status == VERSION_CURRENT, ClientSignal.detected_on.between(since, on))
        ),
        ["party_no", "kind", "detected_on"],
    )
    # a life event counts from the day the bank learnt of it (recorded_at), in business time
    start, end = start_of_day_utc(since, settings.tz), start_of_day_utc(on + timedelta(days=1), settings.tz)
    events = _frame(
        session.execute(
            select(Party.party_no, LifeEvent.kind, LifeEvent.recorded_at)
            .select_from(LifeEvent)
            .join(Party, Party.id == LifeEvent.party_id)
            .where(LifeEvent.recorded_at >= start, LifeEvent.recorded_at < end)
        ),
        ["party_no", "kind", "detected_on"],
    )
    events["kind"] = events["kind"].map(lambda k: getattr(k, "value", k))
    events["detected_on"] = [at.astimezone(settings.tz).date() for at in events["detected_on"]]
    out = pd.concat([signals, events], ignore_index=True)
    out["detected_on"] = pd.to_datetime(out["detected_on"]).astype("datetime64[ns]")
    return out.sort_values(["party_no", "kind", "detected_on"], kind="stable").reset_index(drop=True)


def _relationships(session: Session) -> pd.DataFrame:
    kinds = ", ".join(f":k{i}" for i in range(len(KEY_PERSON_KINDS)))
    return _query(
        session,
        "SELECT c.party_no, k.party_no, r.kind FROM party_relationships r "
        "JOIN parties c ON c.id = r.from_party_id JOIN parties k ON k.id = r.to_party_id "
        f"WHERE r.kind IN ({kinds}) AND c.kind = :corporate",
        {"corporate": PartyKind.CORPORATE.value, **{f"k{i}": k for i, k in enumerate(KEY_PERSON_KINDS)}},
        ["company_party_no", "person_party_no", "kind"],
    )


def _lake_frames(
    settings: Settings, on: date, since: date, min_flow_amount: float
) -> dict[str, pd.DataFrame]:
    tz = settings.timezone
    start, end = start_of_day_utc(since, settings.tz), start_of_day_utc(on + timedelta(days=1), settings.tz)
    con = connect(settings)
    try:
        local_day = "CAST(timezone(?, booked_at) AS DATE)"
        # first salaries in the window: the window's salary credits of clients with none before it
        # (a semi and an anti join: no sort of every salary the lake holds)
        first_salaries = con.execute(
            f"""
            WITH recent AS (
                SELECT party_no, booked_at, txn_id, amount FROM transactions
                WHERE kind = 'salary_credit' AND booked_at >= ? AND booked_at < ?
            ), earlier AS (
                SELECT DISTINCT t.party_no FROM transactions t SEMI JOIN recent r ON r.party_no = t.party_no
                WHERE t.kind = 'salary_credit' AND t.booked_at < ?
            )
            SELECT party_no, credited_on, amount FROM (
                SELECT party_no, {local_day} AS credited_on, CAST(amount AS DOUBLE) AS amount,
                       row_number() OVER (PARTITION BY party_no ORDER BY booked_at, txn_id) AS n
                FROM recent ANTI JOIN earlier USING (party_no)
            ) WHERE n = 1 ORDER BY party_no
            """,
            [start, end, start, tz],
        ).df()
        kinds = ", ".join(f"'{k}'" for k in (*INFLOW_KINDS, *OUTFLOW_KINDS))
        flows = con.execute(
            f"""
            SELECT party_no, {local_day} AS booked_on, CAST(SUM(amount) AS DOUBLE) AS amount
            FROM transactions
            WHERE kind IN ({kinds}) AND booked_at >= ? AND booked_at < ?
            GROUP BY party_no, booked_on, amount > 0
            HAVING abs(SUM(amount)) >= ?
            ORDER BY party_no, booked_on
            """,
            [tz, start, end, min_flow_amount],
        ).df()
        prices = con.execute(
            "SELECT series, price_on, price FROM market_prices WHERE price_on BETWEEN ? AND ? ORDER BY series, price_on",
            [on - timedelta(days=PRICE_LOOKBACK_DAYS), on],
        ).df()
        policy_events = con.execute(
            "SELECT event_id, industry_code, event_on, direction, headline FROM industry_policy "
            "WHERE event_on BETWEEN ? AND ? ORDER BY event_on, event_id",
            [since, on],
        ).df()
    finally:
        con.close()
    for frame, column in ((first_salaries, "credited_on"), (flows, "booked_on"), (prices, "price_on"), (policy_events, "event_on")):  # fmt: skip
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return {
        "first_salaries": first_salaries,
        "flows": flows,
        "prices": prices,
        "policy_events": policy_events,
    }
