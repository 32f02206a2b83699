"""Best one-to-one pairing of answer-key entries with response lines (Hungarian algorithm)."""
from __future__ import annotations


def best_assignment(weights: list[list[float]]) -> list[tuple[int, int]]:
    """Pairs (row, column) maximising the summed weight, each row and column used at most once.

    Every row is paired when there are at least as many columns (and vice versa); callers drop
    pairs whose weight means "no match". O(n²·m), fine for the few dozen lines a case has.
    """
    rows = len(weights)
    cols = len(weights[0]) if rows else 0
    if not rows or not cols:
        return []
    transposed = rows > cols
    if transposed:
        weights = [list(column) for column in zip(*weights)]
        rows, cols = cols, rows

    inf = float("inf")
    # Shortest-augmenting-path form of Kuhn–Munkres on costs = -weights, 1-based with a dummy 0.
    u = [0.0] * (rows + 1)
    v = [0.0] * (cols + 1)
    owner = [0] * (cols + 1)  # owner[j]: row assigned to column j
    way = [0] * (cols + 1)
    for row in range(1, rows + 1):
        owner[0] = row
        j0 = 0
        min_slack = [inf] * (cols + 1)
        used = [False] * (cols + 1)
        while True:
            used[j0] = True
            i0 = owner[j0]
            delta = inf
            j1 = 0
            row_weights = weights[i0 - 1]
            u_i0 = u[i0]
            for j in range(1, cols + 1):
                if not used[j]:
                    slack = -row_weights[j - 1] - u_i0 - v[j]
                    if slack < min_slack[j]:
                        min_slack[j] = slack
                        way[j] = j0
                    if min_slack[j] < delta:
                        delta = min_slack[j]
                        j1 = j
            for j in range(cols + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    min_slack[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while True:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
            if j0 == 0:
                break

    pairs = [(owner[j] - 1, j - 1) for j in range(1, cols + 1) if owner[j]]
    if transposed:
        pairs = [(col, row) for row, col in pairs]
    return sorted(pairs)
