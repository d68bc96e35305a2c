"""Tier benefits (entitlements per client from the intelligence catalogue, redemptions, usage per tier) and ecosystem partners (bundle offers triggered by signals, referrals).

Pages of this part (thin handlers over its services)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
