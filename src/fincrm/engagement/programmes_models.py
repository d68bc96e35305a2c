"""Tier benefits (entitlements per client from the intelligence catalogue, redemptions, usage per tier) and ecosystem partners (bundle offers triggered by signals, referrals).

Tables of this part of the engagement capability."""

from __future__ import annotations
