"""Reference data of the demo: geography codes, the product shelf, names."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from faker.providers.ssn.zh_CN import Provider as FakerSsn

from fincrm.demo.geography import BRANCH_CITIES, CITIES, CITY_INDEX
from fincrm.demo.names import name_parts, sample_names
from fincrm.demo.shelf import INDEXES, SHELF
from fincrm.products.domain import ProductKind, RiskRating


class TestGeography:
    def test_district_codes_are_real_and_inside_their_city(self):
        known = set(FakerSsn.area_codes)  # GB/T 2260 codes
        for city in CITIES:
            assert city.code + "00" in known, city.name
            for name, code in city.districts:
                assert code.startswith(city.code), (city.name, name)
                assert code in known, (city.name, name, code)

    def test_a_province_keeps_one_code(self):
        codes: dict[str, set[str]] = {}
        for city in CITIES:
            codes.setdefault(city.province, set()).add(city.province_code)
        assert all(len(v) == 1 for v in codes.values())

    def test_branch_cities_are_in_the_table_with_sane_bands(self):
        assert all(name in CITY_INDEX for name in BRANCH_CITIES)
        assert all(0 < c.ss_min < c.ss_max and c.sqm_price > 1000 for c in CITIES)


class TestShelf:
    def test_every_kind_and_rating_is_on_the_shelf(self):
        assert len(SHELF) >= 40
        assert {p.kind for p in SHELF} == set(ProductKind)
        assert {p.risk for p in SHELF} == set(RiskRating)
        assert len({p.code for p in SHELF}) == len(SHELF)

    def test_exposures_add_up_to_one_hundred_percent(self):
        for p in SHELF:
            if p.kind is ProductKind.LOAN:
                assert p.exposures == ""
                continue
            rows = p.exposure_rows()
            assert sum(w for _, _, w in rows) == Decimal(100), p.code
            assert all(w > 0 for _, _, w in rows)
            assert len({(a, s) for a, s, _ in rows}) == len(rows)

    def test_equity_funds_are_split_by_sector(self):
        for p in SHELF:
            if p.kind is ProductKind.EQUITY_FUND:
                assert all(s for a, s, _ in p.exposure_rows() if a.value == "equity"), p.code

    def test_nav_models_refer_to_known_indexes(self):
        codes = {i.code for i in INDEXES}
        assert len(codes) >= 10
        for p in SHELF:
            assert set(p.nav_weights()) <= codes, p.code

    def test_structured_products_explain_their_structure(self):
        for p in SHELF:
            if p.kind in (ProductKind.STRUCTURED, ProductKind.PRIVATE_FUND):
                assert p.structure and len(p.structure) > 15, p.code
        assert any("优先级" in (p.structure or "") and "劣后级" in (p.structure or "") for p in SHELF)


class TestNames:
    def test_sampled_names_use_faker_word_lists_and_match_their_initials(self):
        rng = np.random.default_rng(1)
        female = rng.random(3000) < 0.5
        names = sample_names(rng, female)
        full = names.full().to_pylist()
        initials = names.initials().to_pylist()
        parts = name_parts()
        surnames = set(parts.surnames.to_pylist())
        assert all(n[:1] in surnames or n[:2] in surnames for n in full)
        assert all(2 <= len(n) <= 4 for n in full)
        assert all(len(i) == len(n) for i, n in zip(initials, full, strict=True) if "欧阳" not in n)
        given_share_two = np.mean([len(n) == 3 for n in full])
        assert 0.4 < given_share_two < 0.9

    def test_a_fixed_surname_is_kept(self):
        rng = np.random.default_rng(2)
        names = sample_names(rng, np.zeros(10, dtype=bool), surname=np.zeros(10, dtype=int))
        assert {n[0] for n in names.full().to_pylist()} == {"王"}
