"""Roles of staff users. Pure: no persistence."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RM = "rm"  # relationship manager: owns a book of clients
    TEAM_LEAD = "team_lead"  # sees the books of the team's RMs
    RESEARCH = "research"  # sees a client only through a case shared with them
    COMPLIANCE = "compliance"  # reads everything, changes only compliance objects
    ADMIN = "admin"  # manages users and assignments, reads no client personal data
