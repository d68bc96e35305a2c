"""Book assignment pages: move clients between RMs (admins, and team leads within their team).

Lives in the clients capability because it changes the client book; it shows client numbers and
counts only, never names, since administrators read no client personal data.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, Response

from fincrm.clients import assignment
from fincrm.errors import FincrmError, InputError
from fincrm.web.context import Web, resolve
from fincrm.web.render import render

router = APIRouter(include_in_schema=False)
WebDep = Annotated[Web, Depends(resolve)]


def split_party_nos(text: str) -> list[str]:
    """Client numbers as pasted from a spreadsheet: separated by spaces, commas or new lines."""
    return [p for p in re.split(r"[\s,;，；、]+", text) if p]


def _assignments_page(web: Web, *, result=None, error: FincrmError | None = None, form: dict | None = None):
    me = web.require()
    with web.uow() as session:
        books = assignment.book_counts(session, me)
    return render(
        web, "access/admin_assignments.html",
        {"books": books, "result": result, "error": error, "form": form or {}},
        status=error.status if error else 200,
    )  # fmt: skip


@router.get("/admin/assignments", response_class=HTMLResponse)
def assignments_page(web: WebDep) -> Response:
    return _assignments_page(web)


@router.post("/admin/assignments", response_class=HTMLResponse)
def reassign(
    web: WebDep,
    to_rm: Annotated[str, Form(max_length=64)],
    mode: Annotated[str, Form(pattern="^(clients|book)$")] = "clients",
    party_nos: Annotated[str, Form(max_length=400_000)] = "",
    from_rm: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    me = web.require()
    web.check_csrf(csrf_token)
    form = {"to_rm": to_rm, "mode": mode, "party_nos": party_nos, "from_rm": from_rm}
    try:
        with web.uow() as session:
            if mode == "book":
                result = assignment.reassign_clients(session, me, from_rm=from_rm, to_rm=to_rm, now=web.now())
            else:
                result = assignment.reassign_clients(
                    session, me, party_nos=split_party_nos(party_nos), to_rm=to_rm, now=web.now()
                )
    except InputError as exc:
        return _assignments_page(web, error=exc, form=form)
    return _assignments_page(web, result=result)
