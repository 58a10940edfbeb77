"""The words of the organisation's industry pack in every template (issue 19; docs/decisions.md 51): what
the screens call the customer and the manager (客户 / 用户 / 零售户 / 大客户), in the request's language.

`pack_words` is lazy, like the shell's values (rmdesk.org.context_processors): the one query runs only when a
template reads a word (the menu, the customer list, the 360° page and home headings), never for an htmx
fragment that shows none.
"""

from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from .services import words_in_use


def _words() -> dict:
    words = words_in_use()
    english = (get_language() or "").startswith("en")
    return {
        "customer": words.customer_en if english else words.customer,
        "manager": words.manager_en if english else words.manager,
    }


def pack_words(request):
    return {"pack_words": SimpleLazyObject(_words)}
