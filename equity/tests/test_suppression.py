"""No combination of the cells one person can obtain reveals a group under 5.

The attacker sees every program's view and the institution's (an administrator does) and
knows every slice's learners (a director sees them all). Unknown to them is who is in which
group, and how many in a slice gave no answer (nobody sees answers; the admin's counts are
rounded and institution-wide). Each shown cell is a linear equation on those
unknowns; a hidden cell's count can be worked out exactly when its equation is a linear
combination of the known ones. The test checks that none is, in many random worlds, and that
the same check finds leaks when only the small-cell rule (without its complements) is applied.
"""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np

from equity.suppression import (
    INSTITUTION,
    MIN_LEARNERS,
    SMALL,
    Cell,
    Cells,
    Unit,
    cells_decide,
    program_scope,
)

GROUPS = ("a", "b", "c", "d")
NONE = "—"


def _world(rng: random.Random) -> list[Unit]:
    units = []
    learner = 0
    weights = [0.45, 0.3, 0.1, 0.05, 0.1]  # a, b, c, d, no answer
    for program in range(rng.randint(2, 4)):
        for year in (1, 2):
            for period in ("p1", "p2"):
                for _ in range(rng.randint(2, 22)):
                    learner += 1
                    group = rng.choices([*GROUPS, None], weights)[0]
                    units.append(Unit(program, ("rating", 1, year, period), learner, group))
    return units


def _leaks(units: list[Unit], cells: Cells) -> list[Cell]:
    """Hidden cells whose count follows from the shown cells and what the attacker knows,
    and sets of 1–4 learners left over by a scope's shown cells."""
    leaks = []
    by_slice: dict[tuple, list[Unit]] = defaultdict(list)
    for unit in units:
        by_slice[unit.slice].append(unit)
    for slice_, members in by_slice.items():
        labels = [*GROUPS, NONE]
        index = {(u.learner, g): i for i, (u, g) in enumerate(
            (u, g) for u in members for g in labels
        )}  # fmt: skip
        width = len(index)

        def row(
            scope: str, group: str, members: list[Unit] = members, index: dict = index
        ) -> np.ndarray:
            vector = np.zeros(len(index))
            for u in members:
                if scope == INSTITUTION or scope == program_scope(u.program):
                    vector[index[(u.learner, group)]] = 1
            return vector

        known = []
        for u in members:  # each learner is in exactly one group (or none)
            vector = np.zeros(width)
            for g in labels:
                vector[index[(u.learner, g)]] = 1
            known.append(vector)
        scopes = {program_scope(u.program) for u in members} | {INSTITUTION}
        # What a scope's shown cells leave out, and what an institution cell adds to its
        # programs' shown cells, is nobody or at least five learners.
        for scope in scopes:
            inside = {
                u.learner for u in members if scope in (INSTITUTION, program_scope(u.program))
            }
            covered = set().union(*(
                c.learners for c in cells.values()
                if c.slice == slice_ and c.scope == scope and c.shown
            ))  # fmt: skip
            rest = len(inside - covered)
            if covered and 0 < rest < MIN_LEARNERS:
                leaks.append(Cell(scope, slice_, "rest", inside - covered))
        slice_cells = [c for c in cells.values() if c.slice == slice_]
        known += [row(c.scope, c.group) for c in slice_cells if c.shown]
        matrix = np.array(known)
        rank = np.linalg.matrix_rank(matrix)
        for cell in slice_cells:
            if cell.shown:
                continue
            target = row(cell.scope, cell.group)
            if np.linalg.matrix_rank(np.vstack([matrix, target])) == rank:
                leaks.append(cell)
    return leaks


def test_no_combination_of_shown_cells_reveals_a_hidden_group():
    rng = random.Random(22)
    hidden = 0
    for _ in range(60):
        units = _world(rng)
        cells = cells_decide(units)
        assert _leaks(units, cells) == []
        hidden += sum(1 for c in cells.values() if not c.shown)
        # Every shown cell rests on at least five learners.
        assert all(len(c.learners) >= MIN_LEARNERS for c in cells.values() if c.shown)
    assert hidden > 0  # the worlds do have small groups to protect


def test_the_small_cell_rule_alone_would_leak_which_the_check_finds():
    rng = random.Random(22)
    leaks = 0
    for _ in range(60):
        units = _world(rng)
        cells = cells_decide(units)
        for cell in cells.values():
            cell.hidden = SMALL if len(cell.learners) < MIN_LEARNERS else ""
        leaks += len(_leaks(units, cells))
    assert leaks > 0


def test_an_institution_cell_that_adds_fewer_than_five_to_its_programs_is_hidden():
    slice_ = ("rating", 1, 1, "p1")
    units = [Unit(1, slice_, n, "a") for n in range(6)]  # program 1: six in group a
    units += [Unit(1, slice_, 100 + n, "b") for n in range(6)]
    units += [Unit(2, slice_, 200 + n, "a") for n in range(2)]  # program 2: two in group a
    units += [Unit(2, slice_, 300 + n, "b") for n in range(9)]
    cells = cells_decide(units)
    assert cells[("program:1", slice_, "a")].shown
    assert not cells[("program:2", slice_, "a")].shown
    # The institution's eight in group a minus program 1's six would be program 2's two.
    assert not cells[(INSTITUTION, slice_, "a")].shown
    assert _leaks(units, cells) == []


def test_one_hidden_group_beside_shown_ones_takes_the_smallest_shown_with_it():
    slice_ = ("rating", 1, 1, "p1")
    units = [Unit(2, slice_, 500 + n, "a") for n in range(7)]  # another program, all shown
    units += [Unit(2, slice_, 600 + n, "b") for n in range(7)]
    units += [Unit(1, slice_, n, "a") for n in range(9)]
    units += [Unit(1, slice_, 100 + n, "b") for n in range(6)]
    units += [Unit(1, slice_, 200 + n, "c") for n in range(2)]
    cells = cells_decide(units)
    assert not cells[("program:1", slice_, "c")].shown
    assert not cells[("program:1", slice_, "b")].shown  # the complement
    assert cells[("program:1", slice_, "a")].shown
    assert _leaks(units, cells) == []
