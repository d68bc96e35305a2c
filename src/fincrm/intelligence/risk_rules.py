"""Rules of the dynamic risk profile: what counts as a drawdown, a risky asset, and how behaviour in
drawdowns maps to a risk level.

Pure module (no ibis, no SQLAlchemy): ``fincrm.intelligence.risk`` turns these constants into
expressions. Levels are the questionnaire levels C1 (most conservative) .. C5 (most aggressive);
shares are fractions 0-1; amounts are CNY.

Scoring: a client exposed to a drawdown (held risky products when it began) earns panic points:

* redemptions during drawdowns of the risky positions held at their start, as a value-weighted
  share of units: ``>= 0.5`` 3 points, ``>= 0.2`` 2 points, ``> 0`` 1 point;
* inbound ``market_concern`` inquiries during drawdowns: 1 point (``>= 1`` call);
* loss realisation (a redemption during a drawdown below the position's unit cost): 1 point.

Points map to the level the behaviour supports (``POINTS_TO_LEVEL``); the behavioural level is the
lower of that and the stated level, so behaviour can only lower a profile.
"""

from __future__ import annotations

DRAWDOWN_THRESHOLD = 0.10  # fraction below the running peak that starts a drawdown period
DRAWDOWN_SERIES = "CSI300"  # market series whose drawdowns define the regime
RISKY_RATINGS = ("R3", "R4", "R5")  # product risk ratings counted as risky assets
SNAPSHOT_LOOKBACK_DAYS = (
    45  # calendar days: a month-end snapshot this close before a drawdown's start is its exposure
)
LEVELS = ("C1", "C2", "C3", "C4", "C5")

REDEMPTION_SHARE_POINTS = ((0.5, 3), (0.2, 2), (0.0, 1))  # (share strictly above / at least, points)
CONCERN_CALLS_FOR_POINT = 1  # inbound market_concern inquiries during drawdowns for one point
CONCERN_PURPOSE = "market_concern"
LOSS_POINTS = 1  # points for realising a loss during a drawdown
POINTS_TO_LEVEL = {1: 4, 2: 3, 3: 2}  # panic points -> level number; 0 keeps stated, 4+ -> 1


def level_number(level: str) -> int:
    """Number of a level code: ``"C3"`` -> 3."""
    if level not in LEVELS:
        raise ValueError(f"unknown risk level {level!r}; use one of {', '.join(LEVELS)}")
    return int(level[1])


def redemption_points(share: float) -> int:
    """Panic points for redeeming ``share`` (0-1) of risky holdings during drawdowns.

    Examples
    --------
    >>> redemption_points(1.0), redemption_points(0.3), redemption_points(0.05), redemption_points(0.0)
    (3, 2, 1, 0)
    """
    if share >= REDEMPTION_SHARE_POINTS[0][0]:
        return REDEMPTION_SHARE_POINTS[0][1]
    if share >= REDEMPTION_SHARE_POINTS[1][0]:
        return REDEMPTION_SHARE_POINTS[1][1]
    return REDEMPTION_SHARE_POINTS[2][1] if share > 0 else 0


def panic_points(redemption_share: float, concern_calls: int, realised_loss: bool) -> int:
    """Total panic points of one client's behaviour during drawdowns."""
    return (
        redemption_points(redemption_share)
        + (1 if concern_calls >= CONCERN_CALLS_FOR_POINT else 0)
        + (LOSS_POINTS if realised_loss else 0)
    )


def behavioural_level(stated: int | None, points: int, exposed: bool) -> int | None:
    """Level number the behaviour supports, never above ``stated``; unexposed clients keep ``stated``.

    Examples
    --------
    >>> behavioural_level(4, 3, True), behavioural_level(4, 0, True), behavioural_level(4, 3, False)
    (2, 4, 4)
    >>> behavioural_level(None, 2, True), behavioural_level(2, 5, True)
    (3, 1)
    """
    if not exposed or points == 0:
        return stated
    supported = POINTS_TO_LEVEL.get(points, 1)
    return supported if stated is None else min(stated, supported)
