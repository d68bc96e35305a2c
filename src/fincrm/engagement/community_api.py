"""Community: the content library (research and insights tagged by industry and topic), the morning brief (<= 300 characters) and its distribution, the weekly Q&A.

JSON API of this part (thin handlers over its services)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["engagement"])
