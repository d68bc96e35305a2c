"""Every planted story is where the answer file says, in every table it touches, and the answer
file is complete (no unplanted births or matched property deals hide in the data)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text

from fincrm.demo.names import RENOVATION_MERCHANTS

from .conftest import AS_OF


def rows(demo, sql: str, **params):
    return demo.session.execute(text(sql), params).all()


def stories(demo, kind: str) -> list[dict]:
    found = [s for s in demo.answers["stories"] if s["kind"] == kind]
    assert found, kind
    return found


def local_day(column: str) -> str:
    return f"CAST({column} + INTERVAL 8 HOUR AS DATE)"


class TestAnswerFile:
    def test_lists_every_kind_with_dates_inside_the_window(self, demo):
        kinds = {s["kind"] for s in demo.answers["stories"]}
        assert kinds == {"property_purchase", "child_birth", "promotion", "receivable_stretch", "attrition"}
        start = date.fromisoformat(demo.answers["history_start"])
        for story in demo.answers["stories"]:
            for value in story["dates"].values():
                assert start <= date.fromisoformat(value) <= AS_OF, story
        assert demo.answers["as_of"] == AS_OF.isoformat()
        assert dict(demo.result.stories) == {
            k: sum(1 for s in demo.answers["stories"] if s["kind"] == k) for k in kinds
        }

    def test_story_parties_exist_and_do_not_overlap(self, demo):
        party_nos = [s["party_no"] for s in demo.answers["stories"]]
        assert len(party_nos) == len(set(party_nos))
        known = {r[0] for r in rows(demo, "SELECT party_no FROM parties")}
        assert set(party_nos) <= known


class TestPropertyPurchase:
    def test_deal_outflow_mortgage_and_renovation_agree(self, demo):
        for story in stories(demo, "property_purchase"):
            p, d = story["planted"], story["dates"]
            deal = demo.sql(
                f"SELECT buyer_party_no, deal_on, price_amount, city FROM property_transactions "
                f"WHERE deal_id = '{p['deal_id']}'"
            )
            assert deal == [
                (story["party_no"], date.fromisoformat(d["deal_on"]), Decimal(p["price_amount"]), p["city"])
            ]
            outflows = sorted(
                r[0]
                for r in demo.sql(f"""
                SELECT amount FROM transactions WHERE party_no = '{story["party_no"]}'
                AND kind = 'transfer_out'
                AND counterparty_category = 'real_estate'
                AND {local_day("booked_at")} = DATE '{d["deal_on"]}'""")
            )
            assert outflows == sorted([-Decimal(p["down_payment_amount"]), -Decimal(p["mortgage_amount"])])
            loan = rows(
                demo,
                "SELECT granted_on, principal_amount, term_months FROM loans WHERE loan_no = :n",
                n=p["mortgage_loan_no"],
            )
            assert str(loan[0][0]) == d["deal_on"] and Decimal(str(loan[0][1])) == Decimal(
                p["mortgage_amount"]
            )
            renovation = demo.sql(f"""
                SELECT count(*), -sum(amount), min({local_day("booked_at")}), max({local_day("booked_at")})
                FROM transactions WHERE party_no = '{story["party_no"]}'
                AND counterparty_category = 'home_improvement'
                AND kind = 'card_spend' AND counterparty IN {RENOVATION_MERCHANTS}""")[0]
            assert renovation == (
                p["renovation_payments"],
                Decimal(p["renovation_amount"]),
                date.fromisoformat(d["renovation_from"]),
                date.fromisoformat(d["renovation_to"]),
            )
            assert date.fromisoformat(d["renovation_from"]) > date.fromisoformat(d["deal_on"]) + timedelta(
                days=30
            )

    def test_every_client_matched_deal_is_a_story(self, demo):
        matched = {
            r[0]
            for r in demo.sql(
                "SELECT buyer_party_no FROM property_transactions WHERE buyer_party_no IS NOT NULL"
            )
        }
        assert matched == {s["party_no"] for s in stories(demo, "property_purchase")}

    def test_recorded_stories_have_a_life_event(self, demo):
        recorded = {
            (r[0], r[1])
            for r in rows(
                demo, "SELECT p.party_no, e.kind FROM life_events e JOIN parties p ON p.id = e.party_id"
            )
        }
        kinds = {"property_purchase": "home_purchase", "child_birth": "child_birth", "promotion": "promotion"}
        for story in demo.answers["stories"]:
            if story["kind"] in kinds:
                assert ((story["party_no"], kinds[story["kind"]]) in recorded) == story["recorded_life_event"]


class TestChildBirth:
    def test_newborn_party_relationships_and_education_plan(self, demo):
        for story in stories(demo, "child_birth"):
            p, d = story["planted"], story["dates"]
            child = rows(
                demo,
                "SELECT id, birth_on, household_role, household_id FROM parties WHERE party_no = :n",
                n=p["child_party_no"],
            )[0]
            parent = rows(
                demo, "SELECT id, household_id FROM parties WHERE party_no = :n", n=story["party_no"]
            )[0]
            assert str(child[1]) == d["birth_on"] and child[2] == "child" and child[3] == parent[1]
            links = rows(
                demo,
                "SELECT kind FROM party_relationships WHERE from_party_id = :a AND to_party_id = :b",
                a=parent[0],
                b=child[0],
            )
            assert links == [("child",)]
            plan = demo.sql(f"""SELECT amount, {local_day("booked_at")} FROM transactions
                WHERE party_no = '{story["party_no"]}'
                                AND kind = 'purchase' AND product_code = '{p["education_product_code"]}'
                                ORDER BY booked_at""")
            assert plan and all(a == -Decimal(p["monthly_amount"]) for a, _ in plan)
            assert plan[0][1] == date.fromisoformat(d["education_plan_from"])
            assert plan[0][1] > date.fromisoformat(d["birth_on"])

    def test_every_birth_in_the_window_is_a_story(self, demo):
        start = demo.answers["history_start"]
        born = {
            r[0]
            for r in rows(
                demo, "SELECT party_no FROM parties WHERE birth_on >= :s", s=date.fromisoformat(start)
            )
        }
        assert born == {s["planted"]["child_party_no"] for s in stories(demo, "child_birth")}


class TestPromotion:
    def test_salary_and_social_security_base_rise_together(self, demo):
        for story in stories(demo, "promotion"):
            month = date.fromisoformat(story["dates"]["effective_month"])
            before = month - timedelta(days=20)
            bases = dict(
                demo.sql(f"""SELECT month_on, contribution_base_amount FROM social_security
                                      WHERE party_no = '{story["party_no"]}'""")
            )
            base_before = bases[date(before.year, before.month, 1)]
            base_after = bases[month.replace(day=1)]
            factor = story["planted"]["social_security_base_factor"]
            if base_after < base_before * Decimal("1.05"):  # capped at the city ceiling
                continue
            assert abs(float(base_after / base_before) / factor - 1) < 0.08
            salaries = demo.sql(f"""SELECT {local_day("booked_at")}, amount FROM transactions
                WHERE party_no = '{story["party_no"]}'
                                    AND kind = 'salary_credit' ORDER BY booked_at""")
            pre = [a for day, a in salaries if day < month and day.month not in (1, 7)]
            post = [a for day, a in salaries if day >= month and day.month not in (1, 7)]
            if pre and post:
                assert float(post[0] / pre[-1]) > 1.1


class TestReceivableStretch:
    def test_days_past_due_lengthen_after_a_restrictive_policy(self, demo):
        for story in stories(demo, "receivable_stretch"):
            start = story["dates"]["stretch_from"]
            ((before, after),) = demo.sql(f"""
                SELECT avg(CASE WHEN booked_on < DATE '{start}' THEN settled_on - due_on END),
                       avg(CASE WHEN booked_on >= DATE '{start}' + INTERVAL 120 DAY
                                THEN settled_on - due_on END)
                FROM supply_chain WHERE party_no = '{story["party_no"]}' AND direction = 'receivable'""")
            if after is None:  # the latest invoices are still open
                continue
            assert after - before >= 15
            policy = demo.sql(f"""SELECT count(*) FROM industry_policy
                WHERE industry_code = '{story["planted"]["industry_code"]}'
                                  AND direction = 'restrictive'
                                  AND event_on = DATE '{story["planted"]["policy_event_on"]}'""")
            assert policy[0][0] >= 1


class TestAttrition:
    def test_salary_moves_away_while_social_security_continues_and_assets_drain(self, demo):
        for story in stories(demo, "attrition"):
            d = story["dates"]
            party = story["party_no"]
            late_salary = demo.sql(f"""SELECT count(*) FROM transactions WHERE party_no = '{party}'
                AND kind = 'salary_credit'
                                       AND {local_day("booked_at")} >= DATE '{d["salary_moved_from"]}'""")[0][
                0
            ]
            assert late_salary == 0
            late_ss = demo.sql(f"""SELECT count(*) FROM social_security WHERE party_no = '{party}'
                                   AND month_on >= DATE '{d["salary_moved_from"]}'""")[0][0]
            assert late_ss > 0
            drain = demo.sql(f"""SELECT count(*) FROM transactions WHERE party_no = '{party}'
                AND kind = 'transfer_out'
                                 AND counterparty LIKE '本人他行账户%'
                                 AND {local_day("booked_at")} = DATE '{d["assets_drained_by"]}'""")
            assert drain[0][0] == 1
            cash = rows(
                demo,
                """SELECT sum(h.market_value_amount) FROM holdings h JOIN products pr ON pr.id = h.product_id
                JOIN account_parties ap ON ap.account_id = h.account_id AND ap.role = 'owner'
                JOIN parties p ON p.id = ap.party_id WHERE p.party_no = :n AND pr.code = 'DEP000'""",
                n=party,
            )[0][0]
            assert cash is None or Decimal(str(cash)) < 1000
