"""Validated import of master data (into the store) and feeds (into the lake) from bank files.

``fincrm import ENTITY FILE`` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Parquet or Excel,
applies an optional YAML mapping (a bank's own columns to ours), validates every row against the
entity's declaration (`fincrm.ingest.entities`) with column operations, and writes all-or-nothing
and idempotently: store entities by upsert in the caller's transaction, feeds by `Lake.upsert`.
"""
