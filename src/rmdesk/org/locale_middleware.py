"""Chinese first (SPEC §12): the UI language is the one the user chose (language cookie set by the
switch), else zh-Hans — the browser's Accept-Language does not override the product default."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_supported_language_variant


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        previous = translation.get_language()
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            # do not leak this request's language into whatever the thread runs next
            translation.activate(previous) if previous else translation.deactivate()
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
