"""Geometry of the server-side SVG charts of the client 360: relationship graph and allocation donut."""

from __future__ import annotations

import math
import re
from decimal import Decimal

from fincrm.clients.pages import (
    DONUT_R,
    DONUT_SIZE,
    GRAPH_INNER_R,
    GRAPH_OUTER_R,
    GRAPH_SIZE,
    allocation_donut,
    relationship_graph,
)
from fincrm.clients.schemas import AllocationSlice, RelationRead, RelationshipsRead


def rel(
    no: str, kind: str, *, household: bool, inverse: bool = False, title: str | None = None
) -> RelationRead:
    return RelationRead(
        party_no=no, name=no, kind=kind, title=title, inverse=inverse, household=household, readable=True
    )


class TestRelationshipGraph:
    def test_household_on_the_inner_ring_key_persons_on_the_outer(self) -> None:
        graph = RelationshipsRead(
            party_no="C1", name="张伟", kind="individual", household_no="H1", household_role="head",
            relations=[
                rel("C2", "spouse", household=True), rel("C3", "child", household=True),
                rel("K1", "chairman", household=False, inverse=True, title="董事长"),
            ],
        )  # fmt: skip
        centre, nodes, edges = relationship_graph(graph)
        c = GRAPH_SIZE / 2
        assert (centre.x, centre.y) == (c, c)
        radii = {n.party_no: round(math.hypot(n.x - c, n.y - c)) for n in nodes}
        assert radii == {"C2": GRAPH_INNER_R, "C3": GRAPH_INNER_R, "K1": GRAPH_OUTER_R}
        assert [e.label for e in edges] == ["spouse", "child", "chairman"]
        assert edges[2].title is None  # the client is the chairman: the title describes the client's side

    def test_a_family_tie_read_backwards_is_inverted(self) -> None:
        graph = RelationshipsRead(
            party_no="C3", name="张小明", kind="individual", household_no=None, household_role=None,
            relations=[rel("C1", "child", household=False, inverse=True)],
        )  # fmt: skip
        _centre, _nodes, edges = relationship_graph(graph)
        assert edges[0].label == "parent"


class TestAllocationDonut:
    def test_segments_cover_the_circle_in_order(self) -> None:
        parts = [
            AllocationSlice(asset_class="cash", amount=Decimal(50), share=0.5),
            AllocationSlice(asset_class="bond", amount=Decimal(30), share=0.3),
            AllocationSlice(asset_class="equity", amount=Decimal(20), share=0.2),
        ]
        slices = allocation_donut(parts)
        assert [s.asset_class for s in slices] == ["cash", "bond", "equity"]
        c = DONUT_SIZE / 2
        first = re.match(r"M ([\d.]+) ([\d.]+)", slices[0].path).groups()
        assert (float(first[0]), float(first[1])) == (c, c - DONUT_R)  # starts at 12 o'clock
        end_of_last = re.search(r"A [\d.]+ [\d.]+ 0 \d 1 ([\d.]+) ([\d.]+)", slices[-1].path).groups()
        assert math.isclose(float(end_of_last[0]), c, abs_tol=0.01)  # and ends there

    def test_a_single_asset_class_is_a_full_ring(self) -> None:
        slices = allocation_donut([AllocationSlice(asset_class="cash", amount=Decimal(1), share=1.0)])
        assert len(slices) == 1 and slices[0].path.count("A ") == 2
