"""Which cells of the equity view may be shown: the small-cell rule and its complements.

A cell is what one scope (a program, or the institution) says about one group in one slice:
a measure (assessor ratings, consensus, how often assessed), a competency, a training year
and a period. Its learners are a set; the numbers shown for it (n, quartiles, means) come
from those learners' data. The rules, applied in this order until nothing changes
(docs/equity.md, *Suppression*):

1. Primary: a group with fewer than MIN_LEARNERS learners in the slice is hidden.
2. Within a slice, the whole is known: whoever sees the view can count the slice's learners
   elsewhere (a director sees every learner of the program). So what is not shown — the
   hidden groups, "prefer not to say", those who did not answer — must itself be empty or
   hold at least MIN_LEARNERS learners; while it holds 1 to MIN_LEARNERS - 1, the smallest
   shown group is hidden too.
3. Across scopes, an institution's cell is its programs' cells put together, and one person
   may see both (a director sees their program and the institution; an administrator every
   program). Subtracting shown program cells from an institution cell must not leave one
   hidden cell, nor let rule 2's complement be undone.

Besides, each slice is audited exactly: what someone who sees every view knows is written as
linear equations on the unknown counts per program and group (`_Equations`), and while any
hidden cell's count follows from them, one more cell is hidden.

Nothing else is published: no totals over groups, no roll-up over years, periods or
competencies, and the regressions read only shown cells (`equity.analysis`). So every number
anyone can obtain is a function of shown cells and of wholes already known, and
`equity/tests/test_suppression.py` checks by linear algebra that no combination of them pins
down fewer than MIN_LEARNERS learners.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

MIN_LEARNERS = 5

INSTITUTION = "institution"

SMALL = "fewer than 5 learners"
COMPLEMENT = "hidden so that a hidden group cannot be worked out from the others"

# A slice: (measure, competency id or None, training year, period key).
Slice = tuple[str, int | None, int, str]


@dataclass(frozen=True)
class Unit:
    """One learner's presence in a slice of one program, with their group (None for "prefer
    not to say" or no answer: they count in the whole, never in a group)."""

    program: int
    slice: Slice
    learner: int
    group: str | None


@dataclass
class Cell:
    scope: str  # "program:<id>" or INSTITUTION
    slice: Slice
    group: str
    learners: set[int]
    # (program, learner) pairs behind the cell: an institution cell's come from its programs.
    sources: set[tuple[int, int]] = field(default_factory=set)
    hidden: str = ""  # why, when hidden

    @property
    def shown(self) -> bool:
        return not self.hidden


Cells = dict[tuple[str, Slice, str], Cell]


def program_scope(program_id: int) -> str:
    return f"program:{program_id}"


def cells_decide(units: Iterable[Unit]) -> Cells:
    """Every cell of every program and of the institution, each shown or hidden with why."""
    cells: Cells = {}
    programs_of: dict[Slice, set[int]] = defaultdict(set)
    wholes: dict[Slice, dict[str, set[tuple[int, int]]]] = defaultdict(lambda: defaultdict(set))
    for unit in units:
        programs_of[unit.slice].add(unit.program)
        for scope in (program_scope(unit.program), INSTITUTION):
            wholes[unit.slice][scope].add((unit.program, unit.learner))
        if unit.group is None:
            continue
        for scope in (program_scope(unit.program), INSTITUTION):
            key = (scope, unit.slice, unit.group)
            if key not in cells:
                cells[key] = Cell(scope, unit.slice, unit.group, set())
            cells[key].learners.add(unit.learner)
            cells[key].sources.add((unit.program, unit.learner))
    for cell in cells.values():
        if len(cell.learners) < MIN_LEARNERS:
            cell.hidden = SMALL
    by_slice: dict[Slice, list[Cell]] = defaultdict(list)
    for cell in cells.values():
        by_slice[cell.slice].append(cell)
    for slice_, slice_cells in by_slice.items():
        _complement(slice_cells, sorted(programs_of[slice_]), wholes[slice_])
    return cells


class _Equations:
    """What someone who sees every view knows about one slice, as linear equations on the
    unknown counts y[program, group]: each program's whole (a director sees all its
    learners), which groups are absent, and every shown cell (a program's cell is one count;
    the institution's is the sum over programs). How many gave no group is not known to
    anyone in a slice, so "no group" is one more unknown per program."""

    def __init__(self, cells: list[Cell], programs: list[int]):
        self.groups = sorted({c.group for c in cells})
        self.programs = programs
        self.width = len(programs) * (len(self.groups) + 1)
        present = {(c.scope, c.group) for c in cells}
        rows = []
        for p in programs:
            rows.append(self._row([p], [*self.groups, None]))  # the whole
            for g in self.groups:
                if (program_scope(p), g) not in present:
                    rows.append(self._row([p], [g]))  # absent: known to be zero
        self.base = np.array(rows)

    def _row(self, programs: list[int], groups: list[str | None]) -> np.ndarray:
        row = np.zeros(self.width)
        stride = len(self.groups) + 1
        for p in programs:
            offset = self.programs.index(p) * stride
            for g in groups:
                row[offset + (stride - 1 if g is None else self.groups.index(g))] = 1
        return row

    def of(self, cell: Cell) -> np.ndarray:
        if cell.scope == INSTITUTION:
            return self._row(self.programs, [cell.group])
        return self._row([int(cell.scope.split(":")[1])], [cell.group])

    def derivable(self, shown: list[Cell], hidden: list[Cell]) -> list[Cell]:
        known = np.vstack([self.base, *(self.of(c) for c in shown)])
        rank = np.linalg.matrix_rank(known)
        return [c for c in hidden if np.linalg.matrix_rank(np.vstack([known, self.of(c)])) == rank]


def _rest(cells: list[Cell], whole: set[tuple[int, int]], scope: str) -> int:
    """Learners of a scope's slice in no shown cell: hidden groups and those with no group."""
    covered: set[tuple[int, int]] = set()
    for c in cells:
        if c.shown and c.scope == scope:
            covered |= c.sources
    return len({learner for _, learner in whole - covered})


def _added(cell: Cell, cells: list[Cell]) -> int:
    """Learners an institution cell adds to its programs' shown cells of the same group."""
    covered: set[tuple[int, int]] = set()
    for c in cells:
        if c.shown and c.scope != INSTITUTION and c.group == cell.group:
            covered |= c.sources
    return len({learner for _, learner in cell.sources - covered})


def _small(n: int) -> bool:
    return 0 < n < MIN_LEARNERS


def _complement(
    cells: list[Cell], programs: list[int], wholes: dict[str, set[tuple[int, int]]]
) -> None:
    """Rules 2 and 3 on one slice, until none applies: what a scope's shown cells leave out
    must be nobody or at least MIN_LEARNERS learners, and so must what an institution cell
    adds to its programs' shown cells; and no hidden cell's count may follow exactly from the
    equations. Each round hides one more cell: an institution's before a program's, then the
    smallest, preferring one whose hiding settles the problem at hand."""
    equations = _Equations(cells, programs)
    while True:
        shown = [c for c in cells if c.shown]
        if not shown:
            return
        problem: tuple[str, Cell | str] | None = None
        in_view = {c.scope for c in shown}
        for scope, whole in wholes.items():
            if scope in in_view and _small(_rest(cells, whole, scope)):
                problem = ("rest", scope)
                break
        if problem is None:
            for cell in shown:
                if cell.scope == INSTITUTION and _small(_added(cell, cells)):
                    problem = ("added", cell)
                    break
        if problem is None:
            leaks = equations.derivable(shown, [c for c in cells if not c.shown])
            if not leaks:
                return
            problem = ("leak", leaks[0])
        kind, subject = problem
        if kind == "added":
            assert isinstance(subject, Cell)
            subject.hidden = COMPLEMENT
            continue
        candidates = sorted(
            (c for c in shown if kind != "rest" or c.scope == subject),
            key=lambda c: (c.scope != INSTITUTION, len(c.learners), c.scope, c.group),
        )
        if kind == "leak":
            assert isinstance(subject, Cell)
            settles = [
                c for c in candidates
                if not equations.derivable([s for s in shown if s is not c], [subject])
            ]  # fmt: skip
            candidates = settles or candidates
        candidates[0].hidden = COMPLEMENT
