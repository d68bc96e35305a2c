"""Community: the content library (research and insights tagged by industry and topic), the morning brief (<= 300 characters) and its distribution, the weekly Q&A.

Tables of this part of the engagement capability."""

from __future__ import annotations
