"""The words of the organisation's industry pack in every template (issue 19; docs/decisions.md 51): what
the screens call the customer and the manager (客户 / 用户 / 零售户 / 大客户), in the request's language.

One read per request at most, and none when nothing shows a word: `request_started` puts a lazy reading of
the stored words (`services.words_in_use`) in a context variable that `request_finished` clears, and both the
templates' `pack_words` and the customers menu entry (rmdesk.packs.apps) use it. Outside a request (a
command, an e-mail) a word is read afresh.
"""

from contextvars import ContextVar

from django.utils.functional import SimpleLazyObject
from django.utils.text import capfirst
from django.utils.translation import get_language

from .schemas import PackWords
from .services import words_in_use

_REQUEST_WORDS: ContextVar = ContextVar("rmdesk_pack_words", default=None)


def request_started(**kwargs) -> None:
    _REQUEST_WORDS.set(SimpleLazyObject(words_in_use))


def request_finished(**kwargs) -> None:
    _REQUEST_WORDS.set(None)


def current_words() -> PackWords:
    """The words of the pack in use: the request's reading, or a fresh one outside a request."""
    words = _REQUEST_WORDS.get()
    return words if words is not None else words_in_use()


def localised(words: PackWords | None = None) -> dict:
    """The words in the active language: customer and manager as written, and capitalised for a heading."""
    words = words if words is not None else current_words()
    english = (get_language() or "").startswith("en")
    customer = words.customer_en if english else words.customer
    manager = words.manager_en if english else words.manager
    return {"customer": customer, "manager": manager, "Customer": capfirst(customer), "Manager": capfirst(manager)}


def pack_words(request):
    return {"pack_words": SimpleLazyObject(localised)}
