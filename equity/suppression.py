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
   program). An institution cell is hidden when the learners it adds to its programs' shown
   cells of the same group are 1 to MIN_LEARNERS - 1; rule 2 then runs again on the
   institution's slice.

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
    wholes: dict[tuple[str, Slice], set[int]] = defaultdict(set)
    for unit in units:
        for scope in (program_scope(unit.program), INSTITUTION):
            wholes[(scope, unit.slice)].add(unit.learner)
            if unit.group is None:
                continue
            key = (scope, unit.slice, unit.group)
            if key not in cells:
                cells[key] = Cell(scope, unit.slice, unit.group, set())
            cells[key].learners.add(unit.learner)
            cells[key].sources.add((unit.program, unit.learner))
    for cell in cells.values():
        if len(cell.learners) < MIN_LEARNERS:
            cell.hidden = SMALL
    by_slice: dict[tuple[str, Slice], list[Cell]] = defaultdict(list)
    for cell in cells.values():
        by_slice[(cell.scope, cell.slice)].append(cell)
    programs = [key for key in by_slice if key[0] != INSTITUTION]
    for key in programs:
        _complement_within(by_slice[key], wholes[key])
    institution = [key for key in by_slice if key[0] == INSTITUTION]
    parts: dict[tuple[Slice, str], list[Cell]] = defaultdict(list)
    for cell in cells.values():
        if cell.scope != INSTITUTION:
            parts[(cell.slice, cell.group)].append(cell)
    changed = True
    while changed:
        changed = False
        for key in institution:
            changed |= _complement_within(by_slice[key], wholes[key])
            changed |= _complement_across(by_slice[key], parts)
    return cells


def _complement_within(slice_cells: list[Cell], whole: set[int]) -> bool:
    """Rule 2 on one slice; True if it hid something."""
    changed = False
    while True:
        shown = [cell for cell in slice_cells if cell.shown]
        covered = set().union(*(cell.learners for cell in shown)) if shown else set()
        rest = len(whole - covered)
        if not shown or rest == 0 or rest >= MIN_LEARNERS:
            return changed
        smallest = min(shown, key=lambda cell: (len(cell.learners), cell.group))
        smallest.hidden = COMPLEMENT
        changed = True


def _complement_across(
    institution_cells: list[Cell], parts: dict[tuple[Slice, str], list[Cell]]
) -> bool:
    """Rule 3 on one institution slice; True if it hid something. What a cell adds is counted
    in (program, learner) pairs: a learner in two programs, shown in one, still brings the
    other's data."""
    changed = False
    for cell in institution_cells:
        if not cell.shown:
            continue
        covered: set[tuple[int, int]] = set()
        for part in parts[(cell.slice, cell.group)]:
            if part.shown:
                covered |= part.sources
        added = len({learner for _, learner in cell.sources - covered})
        if 0 < added < MIN_LEARNERS:
            cell.hidden = COMPLEMENT
            changed = True
    return changed
