"""Tier benefits (entitlements per client from the intelligence catalogue, redemptions, usage per tier) and ecosystem partners (bundle offers triggered by signals, referrals).

JSON API of this part (thin handlers over its services)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["engagement"])
