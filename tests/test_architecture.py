"""The import contract (pyproject.toml [tool.importlinter], run by `make lint`) covers every app:
a new app of INSTALLED_APPS that is in no layer, or has no public-modules contract, fails here
rather than going unchecked."""

import tomllib
from pathlib import Path

from django.conf import settings

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
PUBLIC_MODULES = {"models", "signals", "scope", "slots", "services"}


def _contracts():
    return tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]


def _apps():
    return [a for a in settings.INSTALLED_APPS if a.startswith("rmdesk.")]


def test_every_app_is_in_a_layer():
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    named = {m.strip(" ()") for layer in layers["layers"] for m in layer.replace("|", ":").split(":")}
    assert not [a for a in _apps() if a not in named], "apps missing from the layers contract"


def test_every_domain_app_has_a_public_modules_contract():
    by_id = {c.get("id"): c for c in _contracts()}
    for app in _apps():
        if app == "rmdesk.core":
            continue  # the kernel is public as a whole
        contract = by_id.get(f"{app.split('.')[1]}-public")
        assert contract, f"{app}: no '<app>-public' contract in pyproject.toml"
        assert contract["type"] == "forbidden" and contract["forbidden_modules"] == [f"{app}.*"], app
        public = {
            imp.split(" -> ")[1].rsplit(".", 1)[1]
            for imp in contract["ignore_imports"]
            if imp.startswith("rmdesk.** -> ")
        }
        assert public == PUBLIC_MODULES, (app, sorted(public))
