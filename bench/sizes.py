"""Named dataset sizes. A size is scaled as a whole by `--scale` (RMs, units and rows alike)."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Size:
    name: str
    customers: int
    rms: int
    units: int
    holdings_per_customer: float = 3.0
    interactions_per_customer: float = 5.0

    def scaled(self, factor: float) -> "Size":
        if factor == 1.0:
            return self
        return replace(
            self,
            customers=max(50, round(self.customers * factor)),
            rms=max(2, round(self.rms * factor)),
            units=max(2, round(self.units * factor)),
        )

    @property
    def label(self) -> str:
        return f"{self.customers:,} customers, {self.rms:,} RMs in {self.units} units"


SIZES = {
    # a few hundred customers: the pytest smoke test
    "tiny": Size("tiny", customers=400, rms=4, units=2),
    # about 20,000 customers: CI smoke size
    "small": Size("small", customers=20_000, rms=20, units=4),
    # a provincial branch: 1,000 RMs in 50 units, 1M customers, 3M holdings, 5M interactions
    "branch": Size("branch", customers=1_000_000, rms=1_000, units=50),
}


def get_size(name: str, scale: float = 1.0) -> Size:
    try:
        base = SIZES[name]
    except KeyError:
        raise SystemExit(f"unknown size {name!r}; choose one of {', '.join(SIZES)}") from None
    return base.scaled(scale)
