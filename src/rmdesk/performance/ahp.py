"""Weights by the analytic hierarchy process (SPEC §9; seed 002:619–621 "∑Qi=1" with a 判断矩阵).

The weights are the principal eigenvector of the pairwise comparison matrix, normalised to sum 1, found by
power iteration (numpy is not a dependency; a positive matrix makes the iteration converge); λmax is the
mean of (A·w)ᵢ / wᵢ, CI = (λmax − n)/(n − 1), CR = CI / RI with Saaty's random index. A matrix is
consistent when CR < 0.1 (Saaty's rule; matrices of order 1 and 2 are always consistent).
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

#: Saaty's random consistency index by order n
RANDOM_INDEX = {
    1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
    10: 1.49, 11: 1.51, 12: 1.54, 13: 1.56, 14: 1.57, 15: 1.59,
}  # fmt: skip
MAX_ORDER = 15
CR_LIMIT = 0.1
#: a[i][j]·a[j][i] may differ from 1 by this much (entries typed as 0.3333 for 1/3)
RECIPROCAL_TOLERANCE = 0.01


class MatrixError(ValueError):
    """What is wrong with a matrix and where: `cell` is (row, column) or None for the whole matrix."""

    def __init__(self, message: str, cell: tuple[int, ...] | None = None):
        super().__init__(message)
        self.message = message
        self.cell = cell


@dataclass(frozen=True)
class AhpResult:
    weights: list[float]
    lambda_max: float
    ci: float
    cr: float

    @property
    def consistent(self) -> bool:
        return self.cr < CR_LIMIT


def check(matrix) -> list[list[float]]:
    """The matrix as floats, or MatrixError naming the first bad cell (square, positive, reciprocal)."""
    if not isinstance(matrix, (list, tuple)) or not matrix:
        raise MatrixError(_("判断矩阵不能为空。"))
    n = len(matrix)
    if n > MAX_ORDER:
        raise MatrixError(_("判断矩阵最多 %(n)d 阶。") % {"n": MAX_ORDER})
    rows = []
    for i, row in enumerate(matrix):
        if not isinstance(row, (list, tuple)) or len(row) != n:
            raise MatrixError(_("第 %(i)d 行应有 %(n)d 个数（矩阵须为方阵）。") % {"i": i + 1, "n": n}, (i,))
        out = []
        for j, cell in enumerate(row):
            try:
                value = float(cell)
            except (TypeError, ValueError):
                raise MatrixError(_("第 %(i)d 行第 %(j)d 列不是数字。") % {"i": i + 1, "j": j + 1}, (i, j)) from None
            if isinstance(cell, bool) or not math.isfinite(value) or value <= 0:
                raise MatrixError(_("第 %(i)d 行第 %(j)d 列必须是正数。") % {"i": i + 1, "j": j + 1}, (i, j))
            out.append(value)
        rows.append(out)
    for i in range(n):
        if abs(rows[i][i] - 1) > RECIPROCAL_TOLERANCE:
            raise MatrixError(_("第 %(i)d 行第 %(i)d 列（对角线）必须为 1。") % {"i": i + 1}, (i, i))
        for j in range(i + 1, n):
            if abs(rows[i][j] * rows[j][i] - 1) > RECIPROCAL_TOLERANCE:
                raise MatrixError(
                    _("第 %(j)d 行第 %(i)d 列应为第 %(i)d 行第 %(j)d 列的倒数（%(v).4f）。")
                    % {"i": i + 1, "j": j + 1, "v": 1 / rows[i][j]},
                    (j, i),
                )
    return rows


def weigh(matrix) -> AhpResult:
    """The AHP weights (in matrix order, summing to 1), λmax, CI and CR of a checked matrix."""
    a = check(matrix)
    n = len(a)
    # start from the normalised geometric means of the rows (already the answer for a consistent matrix)
    w = [math.prod(row) ** (1 / n) for row in a]
    total = sum(w)
    w = [x / total for x in w]
    for _step in range(1000):
        v = [sum(a[i][j] * w[j] for j in range(n)) for i in range(n)]
        total = sum(v)
        v = [x / total for x in v]
        if max(abs(x - y) for x, y in zip(v, w, strict=True)) < 1e-15:
            w = v
            break
        w = v
    aw = [sum(a[i][j] * w[j] for j in range(n)) for i in range(n)]
    lambda_max = sum(aw[i] / w[i] for i in range(n)) / n
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri else 0.0
    return AhpResult(weights=w, lambda_max=lambda_max, ci=ci, cr=cr)
