"""The API's error bodies, shared by every app (SPEC §12): every error under /api/ is JSON with a
`detail`; a 422 lists what was wrong where (`{type, loc, msg}`, as Ninja's own validation does).

rmdesk.api documents these on every operation (401, 403, 404, 409, 422, 429 by what the operation
can really answer); an operation that answers an error its signature does not show names it with
`openapi_extra=may_answer(...)`.
"""

from ninja import Schema

#: the key of an operation's openapi_extra listing error statuses beyond those rmdesk.api derives
MAY_ANSWER = "x-rmdesk-may-answer"


def may_answer(*statuses: int) -> dict:
    """openapi_extra for a route that can answer these error statuses although its signature does not
    show it (e.g. a read that checks a role: 403); rmdesk.api turns it into documented responses."""
    return {MAY_ANSWER: sorted(statuses)}


class ErrorOut(Schema):
    """401, 403, 404, 409, 413, 429: one sentence in the user's language."""

    detail: str


class ErrorItem(Schema):
    type: str
    loc: list[str | int]
    msg: str


class ValidationErrorOut(Schema):
    """422: the list of what was wrong where; a value past what the database or the calendar holds
    (found only when it is stored) answers one sentence instead."""

    detail: list[ErrorItem] | str
