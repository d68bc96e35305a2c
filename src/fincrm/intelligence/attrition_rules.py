"""Rules of the attrition model: feature windows, the churn label, the model settings and the reason
codes shown to relationship managers.

Pure module (no ibis, no SQLAlchemy). Windows are calendar days counted back from the as-of date T
(exclusive: only data before T is used); shares are fractions; amounts CNY.
"""

from __future__ import annotations

import numpy as np

SALARY_KIND = "salary_credit"  # transaction kind of a salary payment
SALARY_RECENT_DAYS = 92  # "last 3 months" of salary credits
SALARY_PRIOR_DAYS = 184  # the 6 months before those
FLOW_DAYS = 90  # net outflow and redemption window
SPEND_RECENT_DAYS = 90  # card spend: recent window ...
SPEND_PRIOR_DAYS = 180  # ... against the 180 days before it
COMPLAINT_DAYS = 180  # complaints counted over this window
COMPLAINT_PURPOSE = "complaint"
PEAK_DAYS = 365  # assets compared with their peak month-end over this window
INACTIVITY_CAP_DAYS = 365  # days since the last client-initiated transaction, capped (none -> cap)
ASSET_FLOOR_AMOUNT = 10_000.0  # CNY: ratios divide by at least this, so tiny books do not explode
OUTFLOW_RATIO_CAP = 5.0  # net outflow / assets is clipped to this
REDEMPTION_RATIO_CAP = 2.0

# Money that leaves or reaches the bank; purchases, redemptions, maturities and payouts only move
# money between the client's own accounts and products.
EXTERNAL_KINDS = (
    "deposit", "withdrawal", "salary_credit", "transfer_in", "transfer_out", "card_spend",
    "loan_drawdown", "loan_repayment", "fee",
)  # fmt: skip
CLIENT_INITIATED_KINDS = ("deposit", "withdrawal", "purchase", "redemption", "transfer_out", "card_spend")
AUTOMATIC_CHANNEL = "auto"  # standing orders and system postings are not the client acting

# Label: a client holding at least LABEL_MIN_ASSETS_AMOUNT in products at T has churned within the
# horizon when the products are drained to at most (1 - LABEL_DRAIN_SHARE) of that, or net external
# outflows over the horizon reach LABEL_DRAIN_SHARE of it.
LABEL_MIN_ASSETS_AMOUNT = 10_000.0  # CNY
LABEL_DRAIN_SHARE = 0.8

FEATURES = (
    "salary_drop",
    "outflow_ratio",
    "inactivity_days",
    "complaints",
    "spend_drop",
    "asset_decline",
    "redemption_ratio",
)
REASONS = {  # feature -> reason code shown to the RM
    "salary_drop": "salary_stopped",
    "outflow_ratio": "outflow_trend",
    "inactivity_days": "inactivity",
    "complaints": "complaints",
    "spend_drop": "spending_drop",
    "asset_decline": "asset_decline",
    "redemption_ratio": "redemptions",
}
MAX_REASONS = 3
REASON_MIN_CONTRIBUTION = 0.25  # logit units above the average client for a reason to be named
LOGISTIC_C = 1.0  # inverse regularisation strength of the logistic regression
LOGISTIC_MAX_ITER = 1000


def reasons(contributions: np.ndarray, features: tuple[str, ...] = FEATURES) -> list[str]:
    """Comma-separated reason codes per row from per-feature logit contributions.

    A feature is named when it pushes the score up by at least ``REASON_MIN_CONTRIBUTION``, largest
    first, at most ``MAX_REASONS``; if none does, the largest positive contributor is named alone.

    Examples
    --------
    >>> reasons(np.array([[1.0, 0.3, 0.0, 0, 0, 0, 0], [0.1, 0, 0, 0, 0, 0, 0], [-1.0, 0, 0, 0, 0, 0, 0]]))
    ['salary_stopped,outflow_trend', 'salary_stopped', '']
    """
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :MAX_REASONS]
    values = np.take_along_axis(contributions, order, axis=1)
    names = np.array([REASONS[f] for f in features], dtype=object)[order]
    keep = values >= REASON_MIN_CONTRIBUTION
    keep[:, 0] |= values[:, 0] > 0
    # columns are sorted by contribution, so a kept column never follows a dropped one
    text = np.where(keep[:, 0], names[:, 0], "").astype(object)
    for k in range(1, order.shape[1]):
        text = np.where(keep[:, k], text + "," + names[:, k], text)
    return text.tolist()
