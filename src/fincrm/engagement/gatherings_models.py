"""Client events (salons, forums, closed-door meetings) with invitation lists, RSVP and attendance; key-person coverage of corporate clients and gap tasks.

Tables of this part of the engagement capability."""

from __future__ import annotations
