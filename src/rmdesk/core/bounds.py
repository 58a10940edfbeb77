"""Bounded parameter types for the API edge (SPEC §12): a value the database or the calendar cannot
hold is refused with a 422 naming the parameter, never passed on to fail as a 500.

- ids are BigAutoField keys: 1 .. 2**63-1 (SQLite and PostgreSQL bigint);
- counts, limits, offsets, versions fit PostgreSQL `integer`;
- business dates lie between 1900 and 2999, so a day before or after them still exists.
"""

from datetime import date
from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1
MAX_INT = 2**31 - 1
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2999, 12, 31)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Int = Annotated[int, Field(ge=-MAX_INT - 1, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Offset = Annotated[int, Field(ge=0, le=10_000_000)]
Limit = Annotated[int, Field(ge=1, le=10_000)]
Day = Annotated[date, Field(ge=MIN_DAY, le=MAX_DAY)]
Page = Annotated[int, Field(ge=1, le=100_000)]
