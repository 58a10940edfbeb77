"""The home panels' HTML of every active person, in both languages, as one JSON file (issue 18: a change to a home
panel must leave it identical). Run it before and after a change against the same database and compare the files:

    DATABASE_URL=postgres://…/rmdesk_demo .venv/bin/python -m bench.panels_dump /tmp/before.json
    … change …
    DATABASE_URL=postgres://…/rmdesk_demo .venv/bin/python -m bench.panels_dump /tmp/after.json
    cmp /tmp/before.json /tmp/after.json

`--cached` draws each home page twice with the dashboard cache on and checks the second drawing (from the cache)
equals the first. The panels are what `org.views.home` draws (home cache off), captured at its render_to_string."""

import argparse
import json
import os
import sys
from pathlib import Path


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--cached", action="store_true", help="dashboard cache on; every page drawn twice and compared")
    args = p.parse_args()
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
    os.environ.setdefault("RMDESK_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client, override_settings

    from bench.items import passed_second_factor
    from rmdesk.org import views
    from rmdesk.org.models import User

    captured = []
    render = views.render_to_string

    def capture(name, context=None, request=None, **kwargs):
        html = render(name, context, request=request, **kwargs)
        captured.append(html)
        return html

    views.render_to_string = capture
    out = {}
    overrides = {"RMDESK_HOME_CACHE_SECONDS": 0, "ALLOWED_HOSTS": ["*"]}
    if not args.cached:
        overrides["RMDESK_DASHBOARD_CACHE_SECONDS"] = 0
    cache.clear()
    with override_settings(**overrides):
        for user in User.objects.filter(is_active=True).order_by("pk"):
            client = passed_second_factor(_logged_in(Client(raise_request_exception=True), user))
            for language in ("zh-hans", "en"):
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
                captured.clear()
                response = client.get("/")
                html = captured[-1] if captured else None
                if args.cached:
                    captured.clear()
                    client.get("/")
                    if (captured[-1] if captured else None) != html:
                        raise SystemExit(f"{user.username} ({language}): the cached drawing differs")
                out[f"{user.username}:{language}"] = {"status": response.status_code, "html": html}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=0, sort_keys=True))
    drawn = sum(1 for v in out.values() if v["html"])
    print(f"{len(out) // 2} people, {drawn} home pages drawn, {sum(len(v['html'] or '') for v in out.values())} chars")


def _logged_in(client, user):
    client.force_login(user)
    return client


if __name__ == "__main__":
    main()
