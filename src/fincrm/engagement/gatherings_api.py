"""Client events (salons, forums, closed-door meetings) with invitation lists, RSVP and attendance; key-person coverage of corporate clients and gap tasks.

JSON API of this part (thin handlers over its services)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["engagement"])
