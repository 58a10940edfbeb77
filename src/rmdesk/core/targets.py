"""Targets of people for a period (SPEC §9 "target responsibility letters", §11 "plan completion", "my targets vs
actual"): the kernel registry through which the app that keeps targets (performance, its 任务目标责任书) publishes
them and the apps that report on them (analytics) read them, without either importing the other (the two are one
layer apart from the domain apps and may not import each other: pyproject.toml import contracts).

A provider is registered once from its app's ready(): `register("performance.letters", provider)`. It answers,
for many RMs at once (set-based), the targets that apply to each over a period, as `Target`s. `targets_for`
asks every provider. A target names its indicator by the kernel indicator registry's code when the figure is
computed (rmdesk.core.indicators: the reader computes the actual itself, in one grouped pass for all RMs); a
figure entered by hand (a manual indicator) carries its actual from the provider.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Target:
    rm_id: int
    code: str  # the indicator's code (the kernel registry's for a computed figure)
    name: str
    unit: str
    target: Decimal  # the target over the period asked for
    computed: bool = True  # True: the actual comes from rmdesk.core.indicators.get(code)
    percent: bool = False  # a rate: it does not add up over people or months
    actual: Decimal | None = None  # a manual figure's actual, from the provider (None: not entered)


Provider = Callable[[Iterable[int], date, date], list[Target]]
_PROVIDERS: dict[str, Provider] = {}


def register(key: str, provider: Provider) -> Provider:
    """Register (or replace, by key) a provider of targets."""
    _PROVIDERS[key] = provider
    return provider


def unregister(key: str) -> None:
    _PROVIDERS.pop(key, None)


def targets_for(rm_ids: Iterable[int], start: date, end: date) -> list[Target]:
    """Every provider's targets of these RMs for the period [start, end] (empty without a provider)."""
    rm_ids = list(rm_ids)
    if not rm_ids:
        return []
    found: list[Target] = []
    for _key, provider in sorted(_PROVIDERS.items()):
        found.extend(provider(rm_ids, start, end))
    return found
