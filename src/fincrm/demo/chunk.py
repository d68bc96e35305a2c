"""Context of one chunk of the book: the slice of the skeleton being expanded and its shared tools.

A chunk is a contiguous run of whole household units (see ``Skeleton.unit_bounds``). Primary
keys are handed out by ``Ids`` in generation order, so they are dense, deterministic and known
before any row is written. Transactions are collected column-wise in ``Txns`` and turned into
one Arrow table per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from fincrm.demo.book import Employers, Organisation, Skeleton
from fincrm.demo.columns import amounts, concat, int_str, local_stamp, stamps, take, units, ymd_int
from fincrm.demo.market import Calendar, Market
from fincrm.demo.parties import Identity
from fincrm.lake.schemas import COUNTERPARTY_CATEGORIES, TRANSACTION_CHANNELS, TRANSACTION_KINDS

KIND = {k: i for i, k in enumerate(TRANSACTION_KINDS)}
CHANNEL = {c: i for i, c in enumerate(TRANSACTION_CHANNELS)}
CATEGORY = {c: i for i, c in enumerate(COUNTERPARTY_CATEGORIES)}


class Ids:
    """Dense primary keys per table, in generation order."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, table: str, count: int) -> np.ndarray:
        start = self.next.get(table, 1)
        self.next[table] = start + count
        return np.arange(start, start + count, dtype=np.int64)


class Strings:
    """A per-chunk pool of repeated strings (counterparties, summaries): rows hold an index."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def code(self, value: str) -> int:
        k = self._index.get(value)
        if k is None:
            k = self._index[value] = len(self.values)
            self.values.append(value)
        return k

    def codes(self, values: list[str]) -> np.ndarray:
        return np.array([self.code(v) for v in values], dtype=np.int64)


@dataclass
class Txns:
    """Transactions of a chunk, column-wise; ``account`` indexes the chunk's accounts."""

    parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(
        self,
        *,
        account: np.ndarray,
        day: np.ndarray,
        second: np.ndarray,
        kind: str | np.ndarray,
        cents: np.ndarray,
        channel: str | np.ndarray,
        category: str | np.ndarray | None = None,
        counterparty: np.ndarray | None = None,
        product: np.ndarray | None = None,
        micro_units: np.ndarray | None = None,
    ) -> None:
        n = len(account)
        if n == 0:
            return

        def codes(value, table: dict[str, int]) -> np.ndarray:
            if value is None:
                return np.full(n, -1)
            if isinstance(value, str):
                return np.full(n, table[value])
            return np.asarray(value)

        self.parts.append(
            {
                "account": np.asarray(account, dtype=np.int64),
                "day": np.asarray(day, dtype=np.int64),
                "second": np.asarray(second, dtype=np.int64),
                "kind": codes(kind, KIND),
                "cents": np.asarray(cents, dtype=np.int64),
                "channel": codes(channel, CHANNEL),
                "category": codes(category, CATEGORY),
                "counterparty": np.full(n, -1)
                if counterparty is None
                else np.asarray(counterparty, dtype=np.int64),
                "product": np.full(n, -1) if product is None else np.asarray(product, dtype=np.int64),
                "units": np.full(n, -1) if micro_units is None else np.asarray(micro_units, dtype=np.int64),
            }
        )

    def merged(self) -> dict[str, np.ndarray]:
        if not self.parts:
            keys = (
                "account",
                "day",
                "second",
                "kind",
                "cents",
                "channel",
                "category",
                "counterparty",
                "product",
                "units",
            )
            return {k: np.zeros(0, dtype=np.int64) for k in keys}
        out = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        self.parts = [out]
        return out


@dataclass
class Chunk:
    idx: np.ndarray  # global party indexes of this chunk
    sk: Skeleton
    ident: Identity
    employers: Employers
    org: Organisation
    market: Market
    rng: np.random.Generator
    ids: Ids
    strings: Strings = field(default_factory=Strings)
    txns: Txns = field(default_factory=Txns)
    # accounts of the chunk (filled by accounts.open_accounts)
    acct_id: np.ndarray | None = None
    acct_party: np.ndarray | None = None  # local party index
    acct_kind: np.ndarray | None = None  # index into ACCOUNT_KINDS
    acct_no: pa.Array | None = None
    current_of: np.ndarray | None = None  # local party -> account index of the current account (-1)
    card_of: np.ndarray | None = None  # local party -> credit-card account index (-1)
    invest_of: np.ndarray | None = None
    savings_of: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.idx)

    @property
    def calendar(self) -> Calendar:
        return self.market.calendar

    @property
    def party_id(self) -> np.ndarray:
        return self.idx + 1

    def party_no(self, local: np.ndarray) -> pa.Array:
        return concat("C", int_str(self.idx[local] + 1, 10))

    def transactions_table(self, seq_start: int) -> pa.Table:
        """The chunk's transactions in lake form; ``txn_id`` is the booking date plus a book-wide sequence."""
        from fincrm.demo.shelf import SHELF
        from fincrm.lake.schemas import TRANSACTIONS

        t = self.txns.merged()
        n = len(t["account"])
        order = np.lexsort((t["second"], t["day"]))
        t = {k: v[order] for k, v in t.items()}
        txn_id = int_str(ymd_int(t["day"]) * 10**11 + seq_start + np.arange(n))
        product_codes = [p.code for p in SHELF]
        has_product = t["product"] >= 0
        has_units = t["units"] >= 0
        acct_party_no = pa.compute.take(self.party_no(np.arange(self.n)), pa.array(self.acct_party))
        account = pa.array(t["account"])
        table = pa.table(
            {
                "txn_id": txn_id,
                "account_no": pa.compute.take(self.acct_no, account),
                "party_no": pa.compute.take(acct_party_no, account),
                "booked_at": stamps(local_stamp(t["day"], t["second"])),
                "kind": take(TRANSACTION_KINDS, t["kind"]),
                "amount": amounts(t["cents"]),
                "currency": take(["CNY"], np.zeros(n, dtype=np.int64)),
                "product_code": take(product_codes, np.maximum(t["product"], 0), has_product),
                "units": units(np.maximum(t["units"], 0), has_units),
                "channel": take(TRANSACTION_CHANNELS, t["channel"]),
                "counterparty_category": take(
                    COUNTERPARTY_CATEGORIES, np.maximum(t["category"], 0), t["category"] >= 0
                ),
                "counterparty": take(
                    pa.array(self.strings.values, pa.string()),
                    np.maximum(t["counterparty"], 0),
                    t["counterparty"] >= 0,
                ),
            }
        )
        return table.cast(TRANSACTIONS.schema)
