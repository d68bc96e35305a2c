"""The generated institution, checked table by table: identities, organisation, book, wealth,
market, referential integrity and the market-driven behaviour. One generation per module."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from faker.providers.phone_number.zh_CN import Provider as FakerPhone
from sqlalchemy import func, select, text

from fincrm.clients.domain import KEY_PERSON_KINDS, national_id_problem, uscc_problem
from fincrm.clients.models import Holding, Party
from fincrm.config import Settings
from fincrm.core.crypto import FieldCipher
from fincrm.core.text import pinyin_initials
from fincrm.demo.geography import CITIES
from fincrm.lake.schemas import DATASETS
from fincrm.products.models import ProductExposure

from .conftest import AS_OF, CLIENTS


def rows(demo, sql: str, **params):
    return demo.session.execute(text(sql), params).all()


class TestOrganisation:
    def test_demo_usernames_are_predictable(self, demo):
        names = {r[0] for r in rows(demo, "SELECT username FROM users")}
        assert {"rm001", "lead01", "research01", "compliance01", "admin01"} <= names

    def test_about_one_rm_per_800_clients_and_several_branches(self, demo):
        rms = rows(demo, "SELECT count(*) FROM users WHERE role = 'rm'")[0][0]
        assert rms >= 5
        assert rows(demo, "SELECT count(DISTINCT city) FROM branches")[0][0] >= 3

    def test_every_client_has_a_primary_rm_and_some_a_different_secondary_one(self, demo):
        missing = rows(
            demo,
            "SELECT count(*) FROM parties p LEFT JOIN users u ON u.id = p.primary_rm_id "
            "WHERE u.role IS NULL OR u.role <> 'rm'",
        )[0][0]
        assert missing == 0
        covered = rows(demo, "SELECT count(*) FROM coverages")[0][0]
        assert 0.07 * CLIENTS <= covered <= 0.13 * CLIENTS
        same = rows(
            demo,
            "SELECT count(*) FROM coverages c JOIN parties p ON p.id = c.party_id "
            "WHERE c.user_id = p.primary_rm_id",
        )[0][0]
        assert same == 0


class TestIdentities:
    def test_national_ids_are_valid_and_match_birth_date_and_province(self, demo):
        cipher = FieldCipher(Settings().pii_key_bytes, "national_id")
        province_code = {c.province: c.code[:2] for c in CITIES}
        city_code = {c.name: c.code for c in CITIES}
        found = rows(
            demo,
            "SELECT national_id_cipher, national_id_last4, birth_on, province, city FROM parties "
            "WHERE kind = 'individual'",
        )
        assert len(found) > 0.9 * CLIENTS
        for blob, last4, birth, province, city in found:
            number = cipher.decrypt(bytes(blob))
            birth_on = (
                birth if not isinstance(birth, str) else __import__("datetime").date.fromisoformat(birth)
            )
            assert national_id_problem(number, birth_on) is None, number
            assert number[-4:] == last4
            assert number[:2] == province_code[province]
            assert number[:4] == city_code[city]

    def test_city_is_inside_its_province(self, demo):
        pairs = {(c.province, c.name) for c in CITIES}
        found = set(rows(demo, "SELECT province, city FROM parties"))
        assert found <= pairs

    def test_phones_use_real_mobile_prefixes(self, demo):
        prefixes = {str(p) for p in FakerPhone.phonenumber_prefixes}
        for phone, last4 in rows(demo, "SELECT phone, phone_last4 FROM parties WHERE phone IS NOT NULL"):
            assert re.fullmatch(r"1\d{10}", phone)
            assert phone[:3] in prefixes
            assert phone[-4:] == last4

    def test_names_are_chinese_with_pinyin_initials(self, demo):
        found = rows(demo, "SELECT name, name_initials FROM parties WHERE kind = 'individual'")
        for name, initials in found[:500]:
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name), name
            assert initials == pinyin_initials(name)
        surnames = Counter(name[0] for name, _ in found)
        assert surnames.most_common(1)[0][0] in "王李张刘陈"

    def test_some_clients_keep_a_lunar_birthday(self, demo):
        assert rows(demo, "SELECT count(*) FROM parties WHERE birthday_lunar")[0][0] > 0.03 * CLIENTS


class TestCorporates:
    def test_about_five_percent_with_valid_credit_codes(self, demo):
        corps = rows(
            demo,
            "SELECT uscc, industry_code, revenue_band, headcount, name FROM parties WHERE kind = 'corporate'",
        )
        assert 0.04 * CLIENTS <= len(corps) <= 0.06 * CLIENTS
        for uscc, industry, band, headcount, name in corps:
            assert uscc_problem(uscc) is None
            assert industry and band and headcount > 0
            assert name.endswith("有限公司")

    def test_each_has_two_to_four_key_persons_who_are_individuals(self, demo):
        kinds = tuple(str(k) for k in KEY_PERSON_KINDS)
        counts = rows(
            demo,
            f"""
            SELECT p.id, count(r.id) FROM parties p
            LEFT JOIN party_relationships r ON r.from_party_id = p.id AND r.kind IN {kinds}
            WHERE p.kind = 'corporate' GROUP BY p.id""",
        )
        assert all(2 <= n <= 4 for _, n in counts)
        persons = rows(
            demo,
            f"""SELECT DISTINCT q.kind FROM party_relationships r JOIN parties q ON q.id = r.to_party_id
                                 WHERE r.kind IN {kinds}""",
        )
        assert persons == [("individual",)]
        chairmen = rows(
            demo, "SELECT count(*) FROM party_relationships WHERE kind = 'chairman' AND title = '董事长'"
        )[0][0]
        assert chairmen == len(counts)


class TestHouseholds:
    def test_households_have_spouses_and_children(self, demo):
        roles = dict(
            rows(
                demo, "SELECT household_role, count(*) FROM parties WHERE household_id IS NOT NULL GROUP BY 1"
            )
        )
        assert roles["head"] > 0 and roles["spouse"] > 0 and roles["child"] > 0
        spouses = rows(demo, "SELECT count(*) FROM party_relationships WHERE kind = 'spouse'")[0][0]
        assert spouses == 2 * roles["spouse"]
        children = rows(
            demo,
            """SELECT count(*) FROM party_relationships r JOIN parties c ON c.id = r.to_party_id
                                 WHERE r.kind = 'child' AND c.household_role = 'child'""",
        )[0][0]
        assert children >= roles["child"]


class TestWealth:
    def test_top_two_percent_hold_about_eighty_percent(self, demo):
        owner = dict(rows(demo, "SELECT account_id, party_id FROM account_parties WHERE role = 'owner'"))
        by_party: dict[int, Decimal] = {}
        for h in demo.session.scalars(select(Holding)):
            by_party[owner[h.account_id]] = (
                by_party.get(owner[h.account_id], Decimal(0)) + h.market_value_amount
            )
        aum = sorted(by_party.values(), reverse=True)
        top = sum(aum[: CLIENTS // 50])
        assert Decimal("0.75") <= top / sum(aum) <= Decimal("0.85")

    def test_risk_assessments_expire_after_a_year_and_cover_every_level(self, demo):
        levels = {r[0] for r in rows(demo, "SELECT DISTINCT level FROM risk_assessments")}
        assert levels == {"C1", "C2", "C3", "C4", "C5"}
        latest = rows(demo, """SELECT party_id, max(valid_until) FROM risk_assessments GROUP BY party_id""")
        expired = sum(1 for _, until in latest if str(until) < AS_OF.isoformat())
        assert 0.08 * len(latest) < expired < 0.25 * len(latest)
        professional = rows(demo, "SELECT count(*) FROM parties WHERE investor_class = 'professional'")[0][0]
        assert 0 < professional < 0.05 * CLIENTS


class TestShelf:
    def test_shelf_covers_every_kind_and_rating_with_full_exposures(self, demo):
        assert rows(demo, "SELECT count(*) FROM products")[0][0] >= 40
        assert {r[0] for r in rows(demo, "SELECT DISTINCT risk_rating FROM products")} == {
            "R1",
            "R2",
            "R3",
            "R4",
            "R5",
        }
        sums: dict[int, Decimal] = {}
        for exposure in demo.session.scalars(select(ProductExposure)):
            sums[exposure.product_id] = sums.get(exposure.product_id, Decimal(0)) + exposure.weight_pct
        assert len(sums) >= 40 and set(sums.values()) == {Decimal(100)}
        sectors = rows(
            demo,
            """SELECT count(DISTINCT e.sector) FROM product_exposures e JOIN products p ON p.id = e.product_id
                                WHERE p.kind = 'equity_fund' AND e.asset_class = 'equity'""",
        )[0][0]
        assert sectors >= 5

    def test_every_price_series_is_in_the_catalogue_and_the_lake(self, demo):
        catalogue = {r[0] for r in rows(demo, "SELECT code FROM market_series")}
        in_lake = {r[0] for r in demo.sql("SELECT DISTINCT series FROM market_prices")}
        product_series = {
            r[0]
            for r in rows(demo, "SELECT price_series_code FROM products WHERE price_series_code IS NOT NULL")
        }
        assert catalogue == in_lake
        assert product_series <= catalogue
        assert len(catalogue - product_series) >= 10


class TestMarket:
    def test_crisis_has_a_deep_equity_drawdown(self, demo):
        prices = [
            p
            for (p,) in demo.sql("SELECT price FROM market_prices WHERE series = 'CSI300' ORDER BY price_on")
        ]
        peak, worst = prices[0], 0.0
        for p in prices:
            peak = max(peak, p)
            worst = max(worst, 1 - p / peak)
        assert worst > 0.30
        crisis = demo.answers["market"]["crisis"]
        assert crisis["drawdown_pct"] > 30

    def test_recent_shock_of_about_seven_percent(self, demo):
        last = [
            p
            for (p,) in demo.sql(
                "SELECT price FROM market_prices WHERE series = 'CSI300' ORDER BY price_on DESC LIMIT 6"
            )
        ]
        assert 0.06 <= 1 - last[0] / last[5] <= 0.08

    def test_prices_only_on_weekdays_up_to_as_of(self, demo):
        ((first, last, weekend),) = demo.sql(
            "SELECT min(price_on), max(price_on), count(*) FILTER (WHERE isodow(price_on) >= 6) "
            "FROM market_prices"
        )
        assert weekend == 0
        assert last <= AS_OF and first >= AS_OF - timedelta(days=3 * 366)


class TestIntegrity:
    def test_every_lake_row_points_at_store_rows(self, demo):
        accounts = {
            r[0]: r[1]
            for r in rows(
                demo,
                """SELECT a.account_no, p.party_no FROM accounts a
            JOIN account_parties ap ON ap.account_id = a.id AND ap.role = 'owner'
            JOIN parties p ON p.id = ap.party_id""",
            )
        }
        for name in ("transactions", "holdings_snapshots"):
            pairs = demo.sql(f"SELECT DISTINCT account_no, party_no FROM {name}")
            assert all(accounts.get(a) == p for a, p in pairs), name
        products = {r[0] for r in rows(demo, "SELECT code FROM products")}
        for name in ("transactions", "holdings_snapshots"):
            used = {
                r[0]
                for r in demo.sql(f"SELECT DISTINCT product_code FROM {name} WHERE product_code IS NOT NULL")
            }
            assert used <= products
        party_nos = {r[0] for r in rows(demo, "SELECT party_no FROM parties")}
        for name, col in (
            ("social_security", "party_no"),
            ("supply_chain", "party_no"),
            ("property_transactions", "buyer_party_no"),
        ):
            used = {r[0] for r in demo.sql(f"SELECT DISTINCT {col} FROM {name} WHERE {col} IS NOT NULL")}
            assert used <= party_nos, name

    def test_every_lake_dataset_is_written(self, demo):
        for name in DATASETS:
            assert demo.result.lake_rows[name] > 0, name
            assert demo.lake.count(name) == demo.result.lake_rows[name]

    def test_transaction_volume_is_bounded(self, demo):
        per_client = demo.result.lake_rows["transactions"] / CLIENTS
        assert 40 <= per_client <= 110

    def test_cash_snapshots_follow_the_transactions(self, demo):
        """Month-end demand deposit = previous month end + that month's flows on the current account."""
        bad = demo.sql("""
            WITH snap AS (
                SELECT account_no, as_of_on, market_value_amount AS bal,
                       lag(market_value_amount) OVER (PARTITION BY account_no ORDER BY as_of_on) AS prev,
                       lag(as_of_on) OVER (PARTITION BY account_no ORDER BY as_of_on) AS prev_on
                FROM holdings_snapshots WHERE product_code = 'DEP000'),
            flows AS (
                SELECT s.account_no, s.as_of_on, s.bal, s.prev, coalesce(sum(t.amount), 0) AS flow
                FROM snap s LEFT JOIN transactions t ON t.account_no = s.account_no
                  AND CAST(t.booked_at + INTERVAL 8 HOUR AS DATE) > s.prev_on
                  AND CAST(t.booked_at + INTERVAL 8 HOUR AS DATE) <= s.as_of_on
                WHERE s.prev IS NOT NULL AND s.as_of_on - s.prev_on < 40
                GROUP BY ALL)
            SELECT count(*) FROM flows WHERE bal <> prev + flow""")[0][0]
        assert bad == 0

    def test_positions_opened_in_the_window_reconcile_with_trades(self, demo):
        """Units held now = units bought - units redeemed or matured, for positions with no opening units."""
        held = demo.sql("""
            WITH trades AS (
                SELECT party_no, product_code,
                       sum(CASE WHEN kind = 'purchase' THEN units ELSE -units END) AS net,
                       min(CASE WHEN kind = 'purchase' THEN booked_at END) AS first_buy,
                       min(booked_at) AS first_trade
                FROM transactions WHERE product_code IS NOT NULL
                AND kind IN ('purchase', 'redemption', 'maturity')
                GROUP BY ALL),
            first_snap AS (
                SELECT party_no, product_code, min(as_of_on) AS first_on FROM holdings_snapshots GROUP BY ALL)
            SELECT t.party_no, t.product_code, t.net FROM trades t
            JOIN first_snap f USING (party_no, product_code)
            WHERE t.first_trade = t.first_buy AND CAST(t.first_buy + INTERVAL 8 HOUR AS DATE) > (
                SELECT min(as_of_on) FROM holdings_snapshots)
              AND f.first_on >= CAST(t.first_buy + INTERVAL 8 HOUR AS DATE)""")
        assert len(held) > 20
        current = {
            (p, c): Decimal(str(u))
            for p, c, u in rows(
                demo,
                """
                SELECT pa.party_no, pr.code, h.units FROM holdings h JOIN products pr ON pr.id = h.product_id
                JOIN account_parties ap ON ap.account_id = h.account_id AND ap.role = 'owner'
                JOIN parties pa ON pa.id = ap.party_id""",
            )
        }
        for party_no, code, net in held:
            assert current.get((party_no, code), Decimal(0)) == net, (party_no, code)

    def test_nothing_happens_before_an_account_is_opened_or_a_client_joins(self, demo):
        opened = dict(rows(demo, "SELECT account_no, opened_on FROM accounts"))
        first = demo.sql(
            "SELECT account_no, min(CAST(booked_at + INTERVAL 8 HOUR AS DATE)) FROM transactions GROUP BY 1"
        )
        assert all(str(opened[a])[:10] <= d.isoformat() for a, d in first)
        snapshots = demo.sql("SELECT account_no, min(as_of_on) FROM holdings_snapshots GROUP BY 1")
        assert all(str(opened[a])[:10] <= d.isoformat() for a, d in snapshots)
        late_loans = rows(
            demo,
            """SELECT count(*) FROM loans l JOIN account_parties ap ON ap.account_id = l.account_id
               JOIN parties p ON p.id = ap.party_id WHERE l.granted_on < p.onboarded_on""",
        )[0][0]
        assert late_loans == 0

    def test_balances_never_negative(self, demo):
        assert (
            demo.sql("SELECT count(*) FROM holdings_snapshots WHERE units < 0 OR market_value_amount < 0")[0][
                0
            ]
            == 0
        )

    def test_later_inserts_get_fresh_ids(self, demo):
        party = Party(
            party_no="X-NEW",
            kind="individual",
            name="新客户",
            name_initials="xkh",
            status="active",
            investor_class="ordinary",
            created_at=demo.session.execute(select(func.min(Party.created_at))).scalar(),
            updated_at=demo.session.execute(select(func.min(Party.created_at))).scalar(),
        )
        demo.session.add(party)
        demo.session.flush()
        assert party.id == CLIENTS + 1
        demo.session.delete(party)
        demo.session.flush()


class TestBehaviour:
    def test_conservative_clients_redeem_equity_and_call_in_during_the_crisis(self, demo):
        crisis = demo.answers["market"]["crisis"]
        peak, trough = crisis["peak_on"], crisis["trough_on"]
        conservative = {
            r[0]
            for r in rows(
                demo,
                """
            SELECT p.party_no FROM parties p JOIN risk_assessments r ON r.party_id = p.id
            WHERE r.level IN ('C1', 'C2') AND r.taken_on = (SELECT max(taken_on) FROM risk_assessments x
            WHERE x.party_id = p.id)""",
            )
        }
        equity = {
            r[0]
            for r in rows(demo, """SELECT code FROM products WHERE kind IN ('equity_fund', 'hybrid_fund')""")
        }
        redemptions = demo.sql("""
            SELECT party_no, product_code, CAST(booked_at + INTERVAL 8 HOUR AS DATE) FROM transactions
            WHERE kind = 'redemption'""")
        in_crisis = [
            r
            for r in redemptions
            if r[0] in conservative and r[1] in equity and peak <= r[2].isoformat() <= trough
        ]
        outside = [
            r
            for r in redemptions
            if r[0] in conservative and r[1] in equity and not peak <= r[2].isoformat() <= trough
        ]
        crisis_days = (
            __import__("datetime").date.fromisoformat(trough)
            - __import__("datetime").date.fromisoformat(peak)
        ).days
        assert len(in_crisis) / max(crisis_days, 1) > 3 * len(outside) / (3 * 365 - crisis_days)
        calls = rows(
            demo,
            "SELECT count(*) FROM interactions WHERE direction = 'inbound' AND purpose = 'market_concern'",
        )[0][0]
        assert calls > 0

    def test_consents_are_granted_and_sometimes_withdrawn(self, demo):
        actions = dict(rows(demo, "SELECT action, count(*) FROM consent_events GROUP BY action"))
        assert actions["grant"] > CLIENTS * 0.8
        assert 0 < actions["withdraw"] < actions["grant"] * 0.1

    def test_memory_points_cover_the_categories_and_match_holdings(self, demo):
        categories = {r[0] for r in rows(demo, "SELECT DISTINCT category FROM memory_points")}
        assert {"family", "hobby", "food_drink", "health", "important_date", "aversion"} <= categories
        averse_tech = rows(
            demo,
            """
            SELECT count(*) FROM memory_points m
            JOIN account_parties ap ON ap.party_id = m.party_id AND ap.role = 'owner'
            JOIN holdings h ON h.account_id = ap.account_id JOIN products p ON p.id = h.product_id
            WHERE m.text LIKE '%回避科技股%' AND p.code IN ('EF003', 'EF007', 'PF004')""",
        )[0][0]
        assert averse_tech == 0

    def test_interactions_are_in_chinese_with_both_directions(self, demo):
        directions = dict(rows(demo, "SELECT direction, count(*) FROM interactions GROUP BY direction"))
        assert directions["inbound"] > 0 and directions["outbound"] > directions["inbound"]
        summaries = [r[0] for r in rows(demo, "SELECT summary FROM interactions LIMIT 50")]
        assert all(re.search(r"[\u4e00-\u9fff]", s) for s in summaries)


@pytest.mark.parametrize("table", ["parties", "accounts", "transactions_seen"])
def test_timestamps_derive_from_as_of(demo, table):
    if table == "transactions_seen":
        last = demo.sql("SELECT max(booked_at) FROM transactions")[0][0]
        assert last.date() <= AS_OF
        return
    if table == "parties":
        latest = rows(demo, "SELECT max(updated_at) FROM parties")[0][0]
        assert str(latest)[:10] <= AS_OF.isoformat()
    else:
        latest = rows(demo, "SELECT max(opened_on) FROM accounts")[0][0]
        assert str(latest)[:10] <= AS_OF.isoformat()
