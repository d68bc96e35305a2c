"""API shapes of access."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MeRead(BaseModel):
    username: str
    display_name: str
    role: str
    team_id: int | None
    locale: str


class LocaleUpdate(BaseModel):
    locale: str = Field(pattern=r"^(zh-CN|en)$")
