"""Shapes of client data handed to the edges. Personal data is masked unless a caller unmasks it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class KeyPersonRead(BaseModel):
    party_no: str
    name: str
    kind: str  # relationship kind (chairman, cfo, spouse, ...)
    title: str | None


class ClientRead(BaseModel):
    party_no: str
    kind: str
    name: str
    status: str
    gender: str | None
    birth_on: date | None
    birthday_lunar: bool
    national_id: str | None  # masked: 110***********1234
    phone: str | None  # masked: 138****5678
    email: str | None  # masked
    province: str | None
    city: str | None
    occupation: str | None
    employer: str | None
    industry_code: str | None
    income_band: str | None
    uscc: str | None
    revenue_band: str | None
    headcount: int | None
    investor_class: str
    primary_rm: str | None
    household_no: str | None
    relations: list[KeyPersonRead]
