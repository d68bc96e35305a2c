"""Precision and recall of detected signals against the demo generator's answer file (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd

# planted story kind -> signal kind, and the story date that starts the signal
STORY_SIGNAL = {
    "property_purchase": ("renovation_need", "deal_on"),
    "child_birth": ("education_fund", "birth_on"),
    "promotion": ("salary_plan", "effective_month"),
    "receivable_stretch": ("working_capital", "stretch_from"),
}


def score(
    signals: pd.DataFrame,
    answers: Mapping[str, Any],
    as_of: date,
    *,
    lookback_days: Mapping[str, int] | None = None,
) -> dict[str, dict[str, float | int]]:
    """Per signal kind: tp, fp, fn, precision and recall (1.0 when nothing was expected or found).

    A planted story is expected when its date is on or before ``as_of`` and, if ``lookback_days``
    gives a window for the signal kind, inside it; a signal on a story outside the window is neither
    a hit nor a false alarm.
    """
    out: dict[str, dict[str, float | int]] = {}
    stories = answers.get("stories", [])
    for story_kind, (kind, date_key) in STORY_SIGNAL.items():
        since = None
        if lookback_days and kind in lookback_days:
            since = as_of - timedelta(days=lookback_days[kind])
        expected, ignored = set(), set()
        for s in stories:
            if s["kind"] != story_kind:
                continue
            on = date.fromisoformat(s["dates"][date_key])
            inside = on <= as_of and (since is None or on > since)
            (expected if inside else ignored).add(s["party_no"])
        found = set(signals.loc[signals["kind"] == kind, "party_no"]) - ignored
        tp, fp, fn = len(found & expected), len(found - expected), len(expected - found)
        out[kind] = {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0,
        }
    return out
