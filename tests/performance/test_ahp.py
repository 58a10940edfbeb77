"""AHP (SPEC §9): weights, λmax, CI and CR against textbook matrices of order 3 to 9, Saaty's RI table,
refusal of CR ≥ 0.1 with the CR shown, and POST /api/performance/ahp with 422 naming the cell."""

import math
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings, strategies as st

from rmdesk.performance import ahp, services

from .conftest import item


def consistent(weights):
    return [[wi / wj for wj in weights] for wi in weights]


def test_saaty_3x3_textbook():
    # Saaty's classic example: weights 0.637, 0.258, 0.105; λmax 3.039; CI 0.019; CR 0.033
    r = ahp.weigh([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert [round(w, 3) for w in r.weights] == [0.637, 0.258, 0.105]
    assert round(r.lambda_max, 3) == 3.039 and round(r.ci, 3) == 0.019 and round(r.cr, 3) == 0.033
    assert r.consistent


def test_issue_example():
    r = ahp.weigh([[1, 3, 5], [0.3333, 1, 2], [0.2, 0.5, 1]])
    assert [round(w, 4) for w in r.weights] == [0.6483, 0.2297, 0.122] or [round(w, 3) for w in r.weights] == [
        0.648,
        0.23,
        0.122,
    ]
    assert round(r.lambda_max, 4) == 3.0037 and round(r.cr, 4) == 0.0032
    assert math.isclose(sum(r.weights), 1, abs_tol=1e-12)


@pytest.mark.parametrize("n", range(3, 10))
def test_consistent_matrices_recover_their_weights(n):
    w = [float(k) for k in range(1, n + 1)]
    total = sum(w)
    r = ahp.weigh(consistent(w))
    assert [round(x, 10) for x in r.weights] == [round(k / total, 10) for k in w]
    assert math.isclose(r.lambda_max, n, abs_tol=1e-9) and abs(r.cr) < 1e-9 and r.consistent


#: textbook-style judgement matrices (1–9 scale, upper triangle given) of orders 4 to 9, with the CR
#: each must show; the expected figures are the definition's, checked below by the eigen-equation
UPPER = {
    4: [[3, 5, 9], [3, 7], [3]],
    5: [[2, 3, 5, 7], [2, 3, 5], [2, 3], [2]],
    6: [[2, 3, 4, 5, 6], [2, 3, 4, 5], [2, 3, 4], [2, 3], [2]],
    7: [[3, 5, 7, 9, 9, 9], [3, 5, 7, 9, 9], [3, 5, 7, 9], [3, 5, 7], [3, 5], [3]],
    8: [[2, 2, 3, 3, 4, 4, 5], [1, 2, 2, 3, 3, 4], [2, 2, 3, 3, 4], [1, 2, 2, 3], [2, 2, 3], [1, 2], [2]],
    9: [[2] * 8, [2] * 7, [2] * 6, [2] * 5, [2] * 4, [2] * 3, [2] * 2, [2]],
}


def full(upper):
    n = len(upper) + 1
    a = [[1.0] * n for _ in range(n)]
    for i, row in enumerate(upper):
        for k, v in enumerate(row):
            j = i + 1 + k
            a[i][j], a[j][i] = float(v), 1 / float(v)
    return a


@pytest.mark.parametrize("n", sorted(UPPER))
def test_textbook_matrices_satisfy_the_eigen_equation(n):
    a = full(UPPER[n])
    r = ahp.weigh(a)
    assert len(r.weights) == n and math.isclose(sum(r.weights), 1, abs_tol=1e-12)
    for i in range(n):  # A·w = λmax·w: w is the principal eigenvector
        assert math.isclose(sum(a[i][j] * r.weights[j] for j in range(n)), r.lambda_max * r.weights[i], rel_tol=1e-9)
    assert r.lambda_max >= n - 1e-9
    assert math.isclose(r.ci, (r.lambda_max - n) / (n - 1), abs_tol=1e-12)
    assert math.isclose(r.cr, r.ci / ahp.RANDOM_INDEX[n], abs_tol=1e-12)
    assert r.weights == sorted(r.weights, reverse=True)  # row 1 dominates the others in every one
    assert r.consistent == (r.cr < 0.1)


def test_saaty_random_index():
    assert [ahp.RANDOM_INDEX[n] for n in range(1, 10)] == [0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45]


def test_inconsistent_matrix():
    # a beats b 9×, b beats c 9×, yet c beats a 9×
    r = ahp.weigh([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    assert r.cr >= 0.1 and not r.consistent


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from([Fraction(k) for k in range(1, 10)] + [Fraction(1, k) for k in range(2, 10)]),
        min_size=3,
        max_size=36,
    )
)
def test_any_reciprocal_matrix_gives_a_distribution(cells):
    n = 2
    while n * (n - 1) // 2 <= len(cells) and n < 9:
        n += 1
    n -= 1
    a = [[1.0] * n for _ in range(n)]
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            a[i][j], a[j][i] = float(cells[k]), float(1 / cells[k])
            k += 1
    r = ahp.weigh(a)
    assert all(w > 0 for w in r.weights) and math.isclose(sum(r.weights), 1, abs_tol=1e-9)
    assert r.lambda_max >= n - 1e-9 and r.cr >= -1e-12


@pytest.mark.parametrize(
    "matrix, cell",
    [
        ([[1, 2], [0.5]], (1,)),  # not square
        ([[1, 2, 3], [0.5, 1, 1], [1 / 3, 1, 1], [1, 1, 1]], (0,)),  # 4 rows of 3
        ([[1, -2], [-0.5, 1]], (0, 1)),  # not positive
        ([[1, 0], [1, 1]], (0, 1)),
        ([[1, 3], [0.5, 1]], (1, 0)),  # not reciprocal
        ([[2, 1], [1, 1]], (0, 0)),  # diagonal
    ],
)
def test_bad_matrices_name_the_cell(matrix, cell):
    with pytest.raises(ahp.MatrixError) as exc:
        ahp.weigh(matrix)
    assert exc.value.cell == cell


@pytest.mark.django_db
def test_scorecard_with_cr_over_limit_is_refused_showing_cr(world, test_indicators):
    t = test_indicators
    items = [item(t["t.sales"]), item(t["t.complaints"]), item(t["t.coverage"])]
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(ValidationError) as exc:
        services.save_scorecard(
            world.lead, name="x", year=2026, period_type="monthly", unit_id=world.t1.pk,
            weight_method="ahp", ahp_matrix=bad, items=[{**i, "x_low": 0, "x_high": 1} for i in items],
        )  # fmt: skip
    msg = exc.value.message_dict["ahp_matrix"][0]
    assert "CR = " in msg and f"{ahp.weigh(bad).cr:.4f}" in msg
    card = services.save_scorecard(
        world.lead, name="x", year=2026, period_type="monthly", unit_id=world.t1.pk, weight_method="ahp",
        ahp_matrix=[[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]], items=[{**i, "x_low": 0, "x_high": 1} for i in items],
    )  # fmt: skip
    weights = [i.weight for i in card.items.order_by("order")]
    assert sum(weights) == 1 and [round(float(w), 3) for w in weights] == [0.637, 0.258, 0.105]
    assert float(card.ahp_cr) == pytest.approx(0.0332, abs=1e-4)


@pytest.mark.django_db
def test_api_answers_the_issue_example(world, api_client):
    c = api_client(world.lead)
    resp = c.post(
        "/api/performance/ahp", {"matrix": [[1, 3, 5], [0.3333, 1, 2], [0.2, 0.5, 1]]}, content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert set(body) == {"weights", "lambda_max", "ci", "cr", "consistent"}
    assert math.isclose(sum(body["weights"]), 1) and body["weights"][0] > body["weights"][1] > body["weights"][2]
    assert body["consistent"] is True and round(body["cr"], 4) == 0.0032


@pytest.mark.django_db
@pytest.mark.parametrize(
    "matrix, loc",
    [
        ([[1, 2, 3], [0.5, 1], [1 / 3, 1, 1]], ["body", "matrix", 1]),
        ([[1, 2], [0.5, 0]], ["body", "matrix", 1, 1]),
        ([[1, 2, 3], [0.5, 1, 4], [0.5, 0.25, 1]], ["body", "matrix", 2, 0]),
    ],
)
def test_api_422_names_the_cell(world, api_client, matrix, loc):
    resp = api_client(world.rm).post("/api/performance/ahp", {"matrix": matrix}, content_type="application/json")
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == loc
