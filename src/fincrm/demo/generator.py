"""Generate the demo institution: the whole client book into the store and three years into the lake.

``generate_institution`` is the one entry point. It replaces the organisation, client-book and
product tables inside the caller's transaction (it never commits) and every lake dataset, and
writes the answer file of the planted stories. The same seed and as-of date give the same store
rows and byte-identical Parquet files: every random draw comes from ``numpy.random.default_rng``
children of the seed, one per stage and per chunk, and every timestamp derives from the as-of
date, never from the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow as pa
from sqlalchemy import Table
from sqlalchemy.orm import Session

from fincrm.access import models as access_models
from fincrm.clients import models as client_models
from fincrm.core.crypto import FieldCipher
from fincrm.demo import accounts as acc
from fincrm.demo import contact, external, flows, holdings, parties, stories
from fincrm.demo.book import MIN_CLIENTS, NEWBORN, R_HEAD, build_organisation, build_skeleton
from fincrm.demo.chunk import Chunk, Ids
from fincrm.demo.columns import Spill, local_stamp
from fincrm.demo.market import epoch_day, make_calendar, simulate_market
from fincrm.demo.shelf import INDEXES, SHELF
from fincrm.demo.writer import Col, StoreWriter, bool_col, day_col, raw, stamp_col
from fincrm.errors import InputError
from fincrm.lake.schemas import DATASETS
from fincrm.lake.store import Lake
from fincrm.products import models as product_models

CHUNK_PARTIES = 25_000  # parties expanded at a time: bounds memory at a million clients
MAX_CLIENTS = 5_000_000

# Every table the generator owns, parents before children (the delete order is the reverse).
TABLES: tuple[Table, ...] = tuple(
    m.__table__  # type: ignore[attr-defined]
    for m in (
        access_models.Branch,
        access_models.Team,
        access_models.User,
        client_models.Household,
        product_models.MarketSeries,
        product_models.Product,
        product_models.ProductExposure,
        client_models.Party,
        client_models.PartyRelationship,
        client_models.Coverage,
        client_models.Account,
        client_models.AccountParty,
        client_models.Card,
        client_models.Loan,
        client_models.StandingOrder,
        client_models.Holding,
        client_models.RiskAssessment,
        client_models.Interaction,
        client_models.MemoryPoint,
        client_models.LifeEvent,
        client_models.ConsentEvent,
    )
)
_TABLE = {t.name: t for t in TABLES}

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GenerationResult:
    """What a generation wrote: rows per store table and per lake dataset, and the as-of date."""

    as_of: date
    seed: int
    clients: int
    store_rows: Mapping[str, int]
    lake_rows: Mapping[str, int]
    stories: Mapping[str, int]
    answers_path: Path

    @property
    def total_rows(self) -> int:
        return sum(self.store_rows.values()) + sum(self.lake_rows.values())


def generate_institution(
    session: Session,
    lake: Lake,
    *,
    clients: int,
    seed: int,
    as_of: date,
    pii_key: bytes,
    answers_path: Path,
    progress: Progress | None = None,
) -> GenerationResult:
    """Replace the store's client book and the lake with a generated Chinese institution.

    Parameters
    ----------
    session
        The caller's unit of work; the generator deletes and inserts through it and never commits.
    lake
        The lake whose seven datasets are replaced.
    clients
        Number of parties (individuals, including children of households, and about 5 %
        corporates); at least 50.
    seed
        Seed of every random draw; the same seed and ``as_of`` give identical output.
    as_of
        Last day of the three years of history (business date, Asia/Shanghai).
    pii_key
        64-byte AES-SIV key; national ID numbers are stored encrypted with it.
    answers_path
        Where the JSON ground truth of the planted stories is written.
    progress
        Called as ``progress(stage, done, total)`` with stages ``prepare``, ``clients`` (parties
        done) and ``lake`` (datasets written).

    Returns
    -------
    GenerationResult
        Row counts per store table and lake dataset, story counts and the as-of date.

    Raises
    ------
    InputError
        When ``clients`` is out of range.
    """
    if not MIN_CLIENTS <= clients <= MAX_CLIENTS:
        raise InputError(f"clients must be between {MIN_CLIENTS} and {MAX_CLIENTS}, got {clients}")
    report = progress or (lambda stage, done, total: None)
    streams = np.random.SeedSequence([seed, epoch_day(as_of)]).spawn(8)
    rng_market, rng_skel, rng_story, rng_org, rng_ident, rng_policy, rng_deals, chunk_root = (
        np.random.default_rng(s) if k < 7 else s for k, s in enumerate(streams)
    )
    cipher = FieldCipher(pii_key, "national_id")

    report("prepare", 0, 5)
    calendar = make_calendar(as_of)
    market = simulate_market(rng_market, calendar)
    report("prepare", 1, 5)
    sk, employers = build_skeleton(rng_skel, clients, calendar)
    plan = stories.select_stories(rng_story, sk, calendar)
    report("prepare", 2, 5)
    staff_created = local_stamp(np.array([calendar.first - 400]), np.array([9 * 3600]))
    org = build_organisation(rng_org, sk, "")
    ident = parties.build_identity(rng_ident, sk)
    for k, p in enumerate(employers.party.tolist()):
        if p >= 0:
            employers.name[k] = ident.corp_name[p]
    report("prepare", 3, 5)
    story_corps = np.flatnonzero(sk.ar_month >= 0)
    planted_policy = [
        (
            external.INDUSTRIES[int(sk.industry[g])].code,
            int(calendar.month_starts[sk.ar_month[g]]) - int(rng_policy.integers(20, 75)),
        )
        for g in story_corps
    ]
    policy_table, policy_rows = external.industry_policy(rng_policy, calendar, planted_policy)
    policy_of = {int(g): row for g, row in zip(story_corps.tolist(), policy_rows, strict=True)}

    with StoreWriter(session) as writer:
        writer.clear(TABLES)
        _write_organisation(writer, org, staff_created)
        _write_shelf(writer, calendar)
        report("prepare", 4, 5)

        spill = _Sink(Spill(lake.root), lake)
        entries: list[dict] = []
        deals: list[dict] = []
        bounds = sk.unit_bounds(CHUNK_PARTIES)
        chunk_seeds = chunk_root.spawn(len(bounds))
        ids = Ids()
        seq = _Sequences()
        try:
            report("prepare", 5, 5)
            for k, (lo, hi) in enumerate(bounds):
                c = Chunk(
                    idx=np.arange(lo, hi),
                    sk=sk,
                    ident=ident,
                    employers=employers,
                    org=org,
                    market=market,
                    rng=np.random.default_rng(chunk_seeds[k]),
                    ids=ids,
                )
                done = _expand(c, writer, spill, cipher, plan, policy_of, seq)
                entries += done.entries
                deals += done.deals
                report("clients", hi, clients)
            lake_rows = spill.finish()
            lake_rows.update(
                _write_lake(lake, spill.spill, market, calendar, rng_deals, deals, policy_table, report)
            )
        except BaseException:
            spill.abandon()
            raise
        finally:
            spill.spill.close()
        writer.reset_sequences(TABLES)
    stories.write_answers(
        answers_path,
        seed=seed,
        as_of=as_of,
        clients=clients,
        market=market,
        entries=entries,
        policy_events=policy_rows,
    )
    story_counts = {kind: sum(1 for e in entries if e["kind"] == kind) for kind in stories.STORY_KINDS}
    return GenerationResult(
        as_of=as_of,
        seed=seed,
        clients=clients,
        store_rows=MappingProxyType({t.name: writer.counts.get(t.name, 0) for t in TABLES}),
        lake_rows=MappingProxyType(lake_rows),
        stories=MappingProxyType(story_counts),
        answers_path=answers_path,
    )


@dataclass
class _Sequences:
    """Book-wide running numbers of lake rows (transaction ids, supply-chain record ids)."""

    txns: int = 0
    records: int = 0


def _expand(
    c: Chunk,
    writer: StoreWriter,
    spill: Spill,
    cipher: FieldCipher,
    plan: stories.StoryPlan,
    policy_of: dict[int, dict],
    seq: _Sequences,
) -> stories.Planted:
    sk, rng, cal = c.sk, c.rng, c.calendar
    j = c.idx
    adult = ~sk.corporate[j] & (sk.age[j] >= 18)
    aversion_tech = adult & (rng.random(c.n) < 0.06)
    legacy_level = np.where(
        (sk.risk[j] > 0) & (sk.risk[j] <= 2) & (rng.random(c.n) < 0.12), sk.risk[j] + 2, 0
    )
    lunar = adult & (rng.random(c.n) < np.where(sk.age[j] >= 50, 0.3, 0.06))
    planted = stories.Planted()

    # identity, households, relationships
    names = sk.names.subset(j).full().to_pylist()
    household_of, household_rows = parties.households(c, names)
    writer.insert(_TABLE["households"], household_rows)
    writer.insert(_TABLE["parties"], parties.party_rows(c, cipher, lunar, household_of))
    writer.insert(_TABLE["party_relationships"], parties.relationships(c))
    writer.insert(_TABLE["coverages"], parties.coverages(c))

    # positions decide which accounts exist
    positions, cash_target = holdings.choose_positions(
        c, aversion_tech=aversion_tech, legacy_level=legacy_level
    )
    edu_parents = np.flatnonzero(
        (sk.unit_kind[j] == NEWBORN) & (sk.role[j] == R_HEAD) & (plan.edu_from[j] >= 0)
    )
    edu = holdings.education_positions(
        c, edu_parents, plan.edu_from[j[edu_parents]], plan.edu_cents[j[edu_parents]]
    )
    positions = holdings.add_positions(positions, edu)
    edu_from = np.r_[np.full(len(positions.party) - len(edu_parents), -1), plan.edu_from[j[edu_parents]]]
    needs_savings = np.bincount(positions.party[holdings.IS_DEPOSIT[positions.product]], minlength=c.n) > 0
    needs_investment = (
        np.bincount(positions.party[~holdings.IS_DEPOSIT[positions.product]], minlength=c.n) > 0
    )
    loan_plans, property_story = acc.plan_loans(c)
    acc.open_accounts(
        c, needs_savings=needs_savings, needs_investment=needs_investment, loans_per_party=loan_plans
    )
    loans = acc.build_loans(c, loan_plans)
    leave = sk.leave_month[j]
    drain_day = np.where(leave >= 0, cal.month_starts[np.minimum(leave + 5, cal.n_months - 1)] + 19, -1)
    drain_day = np.where(leave >= 0, np.minimum(drain_day, int(cal.days[-1]) - 3), -1)
    leaver_loans = drain_day[loans.party] >= 0
    loans.stop_day = np.where(
        leaver_loans, np.minimum(loans.stop_day, drain_day[loans.party] - 1), loans.stop_day
    )
    store = acc.account_rows(c, loans)
    for name in ("accounts", "account_parties", "cards", "loans"):
        writer.insert(_TABLE[name], store[name])
    orders, order_rows = acc.standing_orders(c)
    writer.insert(_TABLE["standing_orders"], order_rows)
    loan_ids = np.asarray(store["loans"]["id"].values)
    loan_nos = [f"L{i:011d}" for i in loan_ids.tolist()]

    # cash flows and trades
    flows.salary_and_pension(c, c.employers, plan.promo_factor[j])
    flows.everyday(c)
    flows.standing_payments(c, orders)
    flows.loan_flows(c, loans)
    sc_table, sc_facts = external.supply_chain(c, first_record=seq.records + 1)
    fund_month = np.where(sk.buy_day[j] >= 0, cal.month_of(np.maximum(sk.buy_day[j], cal.first)) - 1, -1)
    ev = holdings.evolve(c, positions, leave_month=leave, fund_month=fund_month, edu_from=edu_from)
    stories.plant_property(c, property_story, loan_nos, plan, planted)
    stories.plant_births(c, plan, planted)
    flows.card_repayments(c)
    flows.living_balance(c)
    balances = flows.settle(c, cash_target, drain_day)
    stories.promotion_entries(c, plan, planted)
    stories.attrition_entries(c, drain_day, planted)
    stories.receivable_entries(c, sc_facts, policy_of, planted)

    writer.insert(_TABLE["holdings"], holdings.holding_rows(c, positions, ev))
    writer.insert(_TABLE["holdings"], flows.cash_holding_rows(c, balances))
    writer.insert(_TABLE["risk_assessments"], contact.risk_assessments(c, legacy_level))
    equity_party = (
        np.bincount(
            positions.party[holdings.EQUITY_LIKE[positions.product] & (ev.units_me.max(axis=1) > 0)],
            minlength=c.n,
        )
        > 0
    )
    writer.insert(_TABLE["interactions"], contact.interactions(c, equity_party))
    writer.insert(_TABLE["memory_points"], contact.memory_points(c, aversion_tech, lunar))
    writer.insert(_TABLE["life_events"], contact.life_events(c, planted.life_events))
    writer.insert(_TABLE["consent_events"], contact.consents(c))

    txns = c.transactions_table(seq.txns)
    seq.txns += txns.num_rows
    seq.records += sc_table.num_rows
    spill.add("transactions", txns)
    snapshot_schema = DATASETS["holdings_snapshots"].schema
    spill.add(
        "holdings_snapshots",
        pa.concat_tables([
            holdings.snapshot_table(c, positions, ev).cast(snapshot_schema),
            flows.cash_snapshots(c, balances).cast(snapshot_schema),
        ]),
    )  # fmt: skip
    spill.add(
        "social_security",
        external.social_security(c, c.employers, plan.promo_factor[j]).cast(
            DATASETS["social_security"].schema
        ),
    )
    spill.add("supply_chain", sc_table.cast(DATASETS["supply_chain"].schema))
    if planted.deals:
        d = planted.deals
        buyer = c.party_no(np.array([x["party"] for x in d]))
        spill.add(
            "property_transactions",
            external.deals_table(
                np.zeros(len(d), dtype=np.int64),
                np.array([x["day"] for x in d]),
                np.array([x["city"] for x in d]),
                np.array([x["cents"] for x in d]),
                np.array([x["area"] for x in d]),
                np.array([x["resale"] for x in d], dtype=np.int64),
                buyer,
            )
            .set_column(0, "deal_id", pa.array([x["deal_id"] for x in d]))
            .cast(DATASETS["property_transactions"].schema),
        )
    return planted


# Datasets written chunk by chunk as the clients are generated (one file per chunk and partition),
# so a million clients never hold three years of transactions in memory at once. Each chunk holds
# its own clients' rows, so the chunks' keys are disjoint, as ``Lake.replace_stream`` requires.
STREAMED = ("transactions", "holdings_snapshots", "social_security", "supply_chain")


class _Sink:
    """Routes each chunk's lake rows: streamed datasets straight to the lake, the rest to the spill."""

    def __init__(self, spill: Spill, lake: Lake):
        self.spill = spill
        self._stack = ExitStack()
        self._writers = {name: self._stack.enter_context(lake.replace_stream(name)) for name in STREAMED}

    def add(self, name: str, table: pa.Table) -> None:
        if name in self._writers:
            self._writers[name].add(table)
        else:
            self.spill.add(name, table)

    def finish(self) -> dict[str, int]:
        """Swap the streamed datasets in; returns their row counts."""
        self._stack.close()
        return {name: writer.result.rows_total for name, writer in self._writers.items()}

    def abandon(self) -> None:
        self._stack.__exit__(RuntimeError, RuntimeError("generation failed"), None)


def _write_lake(lake, spill, market, calendar, rng_deals, deals, policy_table, report) -> dict[str, int]:
    n_background = max(200, len(deals) * 10)
    spill.add(
        "property_transactions",
        external.property_deals(rng_deals, calendar, n_background, 1).cast(
            DATASETS["property_transactions"].schema
        ),
    )
    spill.add("market_prices", market.prices_table().cast(DATASETS["market_prices"].schema))
    spill.add("industry_policy", policy_table.cast(DATASETS["industry_policy"].schema))
    rows = {}
    for k, name in enumerate(n for n in DATASETS if n not in STREAMED):
        result = lake.replace(name, spill.table(name, DATASETS[name].schema))
        spill.drop(name)
        rows[name] = result.rows_total
        report("lake", k + 1, len(DATASETS) - len(STREAMED))
    return rows


def _write_organisation(writer: StoreWriter, org, created_us: np.ndarray) -> None:
    def cols(rows: list[dict], keys: list[str]) -> dict[str, Col]:
        return {k: raw([r[k] for r in rows]) for k in keys}

    writer.insert(_TABLE["branches"], cols(org.branches, ["id", "code", "name", "city", "region"]))
    writer.insert(_TABLE["teams"], cols(org.teams, ["id", "code", "name", "branch_id"]))
    users = cols(
        org.users,
        [
            "id",
            "username",
            "employee_no",
            "display_name",
            "role",
            "team_id",
            "branch_id",
            "email",
            "password_hash",
        ],
    )
    users["is_active"] = bool_col(np.ones(len(org.users), dtype=bool))
    users["created_at"] = stamp_col(np.full(len(org.users), int(created_us[0])))
    writer.insert(_TABLE["users"], users)


def _write_shelf(writer: StoreWriter, calendar) -> None:
    as_of = epoch_day(calendar.as_of)
    series = [(i.code, i.name, i.name_en, "index", i.asset_class.value, i.currency) for i in INDEXES]
    series += [
        (p.series_code, f"{p.name}（净值）", f"{p.name_en} NAV", "product", p.asset_class.value, "CNY")
        for p in SHELF
        if p.series_code
    ]
    writer.insert(
        _TABLE["market_series"],
        {
            "id": raw(np.arange(1, len(series) + 1)),
            **{
                k: raw([s[i] for s in series])
                for i, k in enumerate(["code", "name", "name_en", "kind", "asset_class", "currency"])
            },
        },
    )
    n = len(SHELF)
    issued = np.array([as_of + (p.issue_offset if p.issue_offset is not None else -3000) for p in SHELF])
    has_maturity = np.array([p.mature_offset is not None for p in SHELF])
    matures = np.array([as_of + (p.mature_offset or 0) for p in SHELF])
    fees = [p.fee_pcts for p in SHELF]
    writer.insert(
        _TABLE["products"],
        {
            "id": raw(np.arange(1, n + 1)),
            "code": raw([p.code for p in SHELF]),
            "name": raw([p.name for p in SHELF]),
            "name_en": raw([p.name_en for p in SHELF]),
            "kind": raw([p.kind.value for p in SHELF]),
            "risk_rating": raw([p.risk.value for p in SHELF]),
            "currency": raw(["CNY"] * n),
            "days_to_cash": raw([p.days_to_cash for p in SHELF]),
            "lockup_days": raw([p.lockup_days for p in SHELF]),
            "min_investment_amount": raw([f"{p.min_investment}.00" for p in SHELF]),
            "issued_on": day_col(issued),
            "matures_on": day_col(matures, has_maturity),
            "distribution": raw([p.distribution.value for p in SHELF]),
            "issuer": raw([p.issuer for p in SHELF]),
            **{
                name: raw([str(f[i]) for f in fees])
                for i, name in enumerate(
                    [
                        "subscription_fee_pct",
                        "redemption_fee_pct",
                        "management_fee_pct",
                        "custody_fee_pct",
                        "distribution_commission_pct",
                    ]
                )
            },
            "structure_description": raw([p.structure for p in SHELF]),
            "structure_description_en": raw([p.structure_en for p in SHELF]),
            "analogy": raw([p.analogy for p in SHELF]),
            "analogy_en": raw([p.analogy_en for p in SHELF]),
            "tranches": raw([p.tranches_json for p in SHELF]),
            "price_series_code": raw([p.series_code for p in SHELF]),
            "on_shelf": bool_col(~(has_maturity & (matures <= as_of))),
        },
    )
    rows = [(k + 1, a.value, s, str(w)) for k, p in enumerate(SHELF) for a, s, w in p.exposure_rows()]
    writer.insert(
        _TABLE["product_exposures"],
        {
            "id": raw(np.arange(1, len(rows) + 1)),
            "product_id": raw([r[0] for r in rows]),
            "asset_class": raw([r[1] for r in rows]),
            "sector": raw([r[2] for r in rows]),
            "weight_pct": raw([r[3] for r in rows]),
        },
    )
