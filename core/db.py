"""Database plumbing: the only module that holds a cursor.

- Reads that travel together (`Read`, `CompiledQuery`, `read_together`): a page's independent
  statements in one round trip on PostgreSQL.
- Instances built from plain rows (`Selection`) where the ORM's building costs more than the
  database's work on a page the benchmark measures.
- Plain statements for summary tables and their checks (`fetch_all`, `execute`,
  `summary_differences`), and the SQL text helpers they use.
- A median that runs inside the database on PostgreSQL and on SQLite.
- `InSubquery`, a filter on a few ids a subquery picks that PostgreSQL reaches by index.

PostgreSQL has `percentile_cont(0.5) WITHIN GROUP (ORDER BY …)`. SQLite has no median, so a
small aggregate is registered on every SQLite connection (see `register_sqlite_median`); the
laptop default and the test suite use it, production uses PostgreSQL's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast, overload

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Aggregate,
    BooleanField,
    Expression,
    F,
    FloatField,
    Model,
    QuerySet,
    Subquery,
)
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.pq import Format

from core.replica import read_alias


class _SqliteMedian:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2


class _SqlitePercentile:
    """Continuous percentile (linear interpolation), as PostgreSQL's percentile_cont."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: Any, fraction: Any) -> None:
        if value is not None:
            self.values.append(float(value))
            self.fraction = float(fraction)

    def finalize(self) -> float | None:
        return percentile(self.values, self.fraction)


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont in Python, for numbers already in memory."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentiles_of_counts(
    counts: Sequence[tuple[Any, int]], fractions: Sequence[float]
) -> list[float | None]:
    """percentile_cont of a histogram at each of `fractions`: `counts` holds (value, how many
    times), values in ascending order. The same arithmetic as `percentile` on the values
    spelled out, so a summary kept as a histogram answers exactly what the raw rows would.
    One walk of the histogram serves every fraction (the overview asks for three per row)."""
    total = sum(n for _, n in counts)
    if not total:
        return [None] * len(fractions)
    # Per fraction: its position among the values and the two ranks it falls between.
    bounds = []
    for fraction in fractions:
        position = fraction * (total - 1)
        low = int(position)
        bounds.append((position, low, min(low + 1, total - 1)))
    ranks = iter(sorted({rank for _, low, high in bounds for rank in (low, high)}))
    value_at: dict[int, float] = {}
    rank = next(ranks, None)
    seen = 0
    for value, n in counts:
        seen += n
        while rank is not None and rank < seen:
            value_at[rank] = float(value)
            rank = next(ranks, None)
        if rank is None:
            break
    return [
        value_at[low] + (value_at[high] - value_at[low]) * (position - low)
        for position, low, high in bounds
    ]


def register_sqlite_median(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: teach SQLite `continuum_median(x)` and
    `continuum_percentile(x, fraction)`."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("continuum_median", 1, _SqliteMedian)
        connection.connection.create_aggregate("continuum_percentile", 2, _SqlitePercentile)


_TIMESTAMPTZ = adapters.types["timestamptz"].oid
# psycopg's own timestamptz loader as installed: its compiled one where psycopg_c or
# psycopg_binary is there (they are, through `psycopg[binary]`), else the pure-Python one.
_PSYCOPG_TIMESTAMPTZ_LOADER = adapters.get_loader(_TIMESTAMPTZ, Format.TEXT)


class _UtcTimestampLoader(Loader):
    """A `timestamptz` loader for psycopg connections whose session time zone is UTC: the
    parsing is psycopg's compiled loader's; `timezone` is what Django checks on every cursor.

    Django registers its own timestamptz loader, a Python subclass of psycopg's pure-Python
    one, to stamp each value with the connection's time zone. That forgoes the compiled
    parser: a page of fifty items with two timestamps each spent longer parsing them (a
    regular expression per value) than the database spent finding the rows. With the session
    in UTC the compiled loader already returns values in `datetime.timezone.utc`, the zone
    Django would stamp, so the result is the same value of the same type.
    """

    timezone = dt.UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        # Shadows the method below: psycopg calls `load` once per value, straight into C.
        self.load = _PSYCOPG_TIMESTAMPTZ_LOADER(oid, context).load  # type: ignore[method-assign,misc]

    def load(self, data: Any) -> dt.datetime:
        raise AssertionError("replaced in __init__")  # pragma: no cover

    @classmethod
    def install(cls, connection: BaseDatabaseWrapper) -> bool:
        """Register on a new PostgreSQL connection when the conditions above hold; say
        whether it was."""
        pgconn = connection.connection.pgconn
        if not (
            _PSYCOPG_TIMESTAMPTZ_LOADER is not None
            and _PSYCOPG_TIMESTAMPTZ_LOADER.__module__.startswith("psycopg_")  # compiled
            and connection.timezone == dt.UTC
            and pgconn.parameter_status(b"TimeZone") == b"UTC"
            and (pgconn.parameter_status(b"DateStyle") or b"").startswith(b"ISO")
        ):
            return False
        connection.connection.adapters.register_loader(_TIMESTAMPTZ, cls)
        return True


def register_fast_timestamps(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: parse PostgreSQL timestamps in C (`_UtcTimestampLoader`)."""
    if connection.vendor == "postgresql":
        _UtcTimestampLoader.install(connection)


def median_sql(expression: str, vendor: str) -> str:
    """The SQL text of a median of `expression` for raw queries."""
    if vendor == "postgresql":
        return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression})"
    return f"continuum_median({expression})"


def percentile_sql(expression: str, fraction: float, vendor: str) -> str:
    """The SQL text of a continuous percentile (0.25, 0.75 …) of `expression`."""
    if vendor == "postgresql":
        return f"percentile_cont({fraction:g}) WITHIN GROUP (ORDER BY {expression})"
    return f"continuum_percentile({expression}, {fraction:g})"


class Median(Aggregate):
    """The median (the mean of the middle two for an even count), as a float."""

    function = "continuum_median"
    name = "Median"
    output_field = FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="percentile_cont",
            template="%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra_context,
        )


_TENTH = Decimal("0.1")


def tenths_from_db(value: Any) -> Decimal:
    """A level, or a sum of levels, read by a plain statement (no ORM converters): PostgreSQL
    answers an exact decimal; SQLite a float (or an int), whose one decimal place rounding
    recovers exactly, since levels are in tenths."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)).quantize(_TENTH)


def date_from_db(value: Any) -> dt.date:
    """A date read by a plain statement: PostgreSQL answers a date, SQLite its ISO text."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return cast(dt.date, value)


def placeholders(n: int) -> str:
    """`%s, %s, …` for an IN list of `n` values passed as parameters."""
    return ", ".join(["%s"] * n)


def summary_differences(
    raw: str, stored: str, limit: int = 10
) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Compare a summary table (`stored`, a SELECT of its columns) with its recomputation from
    the raw rows (`raw`, the same columns), row by row.

    Returns (rows missing or different in the table, rows in the table that should not be
    there or differ, up to `limit` examples of the first kind). Both statements are wrapped
    in subqueries: EXCEPT binds as tightly as UNION ALL, left to right."""
    raw, stored = f"SELECT * FROM ({raw}) r", f"SELECT * FROM ({stored}) s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({raw} EXCEPT {stored}) d", [])  # noqa: S608
        missing = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM ({stored} EXCEPT {raw}) d", [])  # noqa: S608
        extra = cursor.fetchone()[0]
        examples: list[tuple[Any, ...]] = []
        if missing:
            cursor.execute(f"SELECT * FROM ({raw} EXCEPT {stored}) d LIMIT %s", [limit])  # noqa: S608
            examples = list(cursor.fetchall())
    return int(missing), int(extra), examples


class Selection:
    """Some concrete fields of a model, read by a plain statement and turned into instances as
    the ORM would: in the model's field order, with the backend's and the fields' converters
    applied (SQLite answers dates as text) and every other field deferred.

    The ORM builds its SQL anew for every query; on pages that run on every visit and read a
    few small tables, that building costs more than the database's work. A plain statement
    whose columns come from `columns(alias)` avoids it."""

    def __init__(self, model: type[Model], wanted: tuple[str, ...] | None = None) -> None:
        """`wanted`: attribute names (`framework_id`, not `framework`); all when None."""
        self.model = model
        concrete = model._meta.concrete_fields
        self.fields = [f for f in concrete if wanted is None or f.attname in wanted]
        missing = set(wanted or ()) - {f.attname for f in self.fields}
        if missing:
            raise ValueError(f"{model.__name__} has no concrete fields {sorted(missing)}")
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._converters: dict[str, list[tuple[int, list[Any], Any]]] = {}

    def columns(self, alias: str) -> str:
        """`alias."col", …` in the order `build` expects."""
        qn = connection.ops.quote_name
        return ", ".join(f"{alias}.{qn(cast(str, f.column))}" for f in self.fields)

    def _converters_for(self, db: BaseDatabaseWrapper) -> list[tuple[int, list[Any], Any]]:
        converters = self._converters.get(db.vendor)
        if converters is None:
            converters = []
            for index, f in enumerate(self.fields):
                column = f.get_col(self.model._meta.db_table)
                found = db.ops.get_db_converters(column) + f.get_db_converters(db)
                if found:
                    converters.append((index, found, column))
            self._converters[db.vendor] = converters
        return converters

    def build(self, values: Sequence[Any]) -> Any:
        """An instance from `values`, one per field of `columns()`, as a row gives them."""
        db = connections[DEFAULT_DB_ALIAS]  # once: each read through the proxy costs a lookup
        converters = self._converters_for(db)
        if converters:
            values = list(values)
            for index, functions, column in converters:
                value = values[index]
                for function in functions:
                    value = function(value, column, db)
                values[index] = value
        if pre_init.receivers or post_init.receivers:
            # Something listens (an image field's dimensions, say): the ORM's way sends them.
            return self.model.from_db(db.alias, self.attnames, values)
        # What `from_db` makes, without `Model.__init__` (7 µs a row against 1: it walks every
        # field to find the deferred ones and sends two signals no one listens to). A field
        # left out is absent from the instance's dict, which is how the ORM defers it.
        instance = self.model.__new__(self.model)
        instance.__dict__.update(zip(self.attnames, values, strict=True))
        state = instance._state = ModelState()
        state.adding, state.db = False, db.alias
        return instance

    def build_all(self, rows: list[tuple[Any, ...]]) -> list[Any]:
        """An instance per row: the `build` of a `Read` whose columns are only these."""
        return [self.build(row) for row in rows]


def split_row(row: Sequence[Any], *selections: Selection) -> list[Sequence[Any]]:
    """A row of several selections' columns, one after another, cut into their values."""
    parts, start = [], 0
    for selection in selections:
        parts.append(row[start : start + selection.width])
        start += selection.width
    return parts


def prefetch_store(
    instance: Model, name: str, model: type[Model], objects: Sequence[Model]
) -> None:
    """Put `objects` (of `model`) in `instance`'s prefetch cache for the relation `name`, as
    an evaluated queryset: a writer that holds what it just wrote hands it on, and the
    caller's `instance.<name>.all()` reads it without a query. Objects loaded with `only`
    read their other fields from the database when asked, never a blank."""
    # A real queryset of those rows: iterating reads the cache, narrowing it (`get`,
    # `filter`) asks the database, as with Django's own prefetching.
    queryset: QuerySet[Any, Any] = model._default_manager.filter(pk__in=[o.pk for o in objects])
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache is None:
        cache = {}
        setattr(instance, "_prefetched_objects_cache", cache)  # noqa: B010 — not a declared field
    cache[name] = queryset


def fetch_all(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of a plain statement, as the driver answers them (no converters). On the
    replica where the caller opted in (core.replica)."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
U = TypeVar("U")


@dataclass(frozen=True)
class Read(Generic[T]):
    """A statement and what to build from its rows: a selector's read, which can run alone
    (`run`) or beside others that do not depend on it (`read_together`)."""

    sql: str
    params: Sequence[Any]
    build: Callable[[list[tuple[Any, ...]]], T]

    def run(self) -> T:
        return self.build(fetch_all(self.sql, self.params))

    def then(self, after: Callable[[T], U]) -> Read[U]:
        """The same statement, its result passed through `after`."""
        build = self.build
        return Read(self.sql, self.params, lambda rows: after(build(rows)))


@dataclass(frozen=True)
class _Argument:
    """Where an argument goes among a compiled statement's parameters."""

    name: str


class CompiledQuery:
    """A selector's `values_list` queryset, compiled by the ORM once per process and database,
    and run with new arguments as a `Read`: the statement is the selector's own (its access
    rule is not copied), without the ORM's building of the statement on every request, which
    for a few EXISTS subqueries costs twenty times the database's work on a page the
    benchmark measures (3.8 ms against 0.16 ms for the reviewed-program lookup).

    `make` builds the queryset from whole-number arguments (ids). It is called once with
    stand-ins for them; a parameter of the compiled statement equal to a stand-in takes the
    argument's value at each run, every other parameter (role names, flags) stays as
    compiled. The rows come back as the ORM's `values_list` would give them (converters
    applied)."""

    _STAND_IN_BASE = -7_340_000_000_000_000
    # Dates far before any real one stand in for date arguments (named in `dates`).
    _DATE_STAND_IN_BASE = dt.date(1, 1, 1)

    def __init__(self, make: Callable[..., QuerySet[Any, Any]], dates: Sequence[str] = ()) -> None:
        self._make = make
        self._dates = frozenset(dates)
        self._compiled: dict[str, tuple[str, list[Any], Any]] = {}

    def _stand_in(self, name: str, index: int) -> int | dt.date:
        if name in self._dates:
            return self._DATE_STAND_IN_BASE + dt.timedelta(days=index + 1)
        return self._STAND_IN_BASE - index

    def _compile(self, names: Sequence[str]) -> tuple[str, list[Any], Any]:
        key = f"{connection.vendor}:{','.join(names)}"
        compiled = self._compiled.get(key)
        if compiled is None:
            stand_ins = {name: self._stand_in(name, i) for i, name in enumerate(names)}
            compiler = self._make(**stand_ins).query.get_compiler(DEFAULT_DB_ALIAS)
            sql, params = compiler.as_sql()
            by_value: dict[Any, _Argument] = {}
            for name, value in stand_ins.items():
                by_value[value] = _Argument(name)
                if isinstance(value, dt.date):
                    # SQLite's backend passes a date as its ISO text: find it in that form too.
                    by_value[connection.ops.adapt_datefield_value(value)] = _Argument(name)
            template = [by_value.get(p, p) if type(p) in (int, str, dt.date) else p for p in params]
            missing = set(names) - {p.name for p in template if isinstance(p, _Argument)}
            if missing:
                raise ValueError(f"the statement does not use {sorted(missing)}")
            # The columns' converters, worked out once (the ORM does so on every run).
            columns = [select[0] for select in compiler.select[: compiler.col_count]]
            compiled = self._compiled[key] = (
                sql,
                template,
                (compiler, compiler.get_converters(columns)),
            )
        return compiled

    def read(self, **arguments: int | dt.date) -> Read[list[tuple[Any, ...]]]:
        names = sorted(arguments)
        sql, template, (compiler, converters) = self._compile(names)
        # A date argument goes in as the ORM would have passed it (ISO text on SQLite).
        given = {
            name: connection.ops.adapt_datefield_value(value)
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime)
            else value
            for name, value in arguments.items()
        }
        params = [given[p.name] if isinstance(p, _Argument) else p for p in template]

        def build(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
            # As `values_list` gives them: the driver's rows, through the columns' converters.
            if not converters:
                return rows
            return list(map(tuple, compiler.apply_converters(rows, converters)))

        return Read(sql, params, build)

    def read_page(self, *, offset: int, limit: int, **arguments: int | dt.date) -> Read[Any]:
        """`read`, limited to `limit` rows after the first `offset`. The queryset must be
        ordered and not sliced (the ORM would write its own LIMIT).

        The bounds are written into the statement as numbers, not sent as parameters:
        PostgreSQL never keeps a plan for a prepared statement whose LIMIT is a parameter (the
        generic plan, costed for an unknown limit, loses to each run's own), so it planned
        the page's competencies on every request, in more time than it ran them (0.4 ms
        against 0.3 ms). With numbers, a list's first pages, which are read most, run from
        a kept plan; each other page is planned as before."""
        if offset < 0 or limit < 0:
            raise ValueError(f"no page at offset {offset} of {limit} rows")
        read = self.read(**arguments)
        bounds = f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return Read(read.sql + bounds, read.params, read.build)


@overload
def read_together(a: Read[A], b: Read[B], /) -> tuple[A, B]: ...
@overload
def read_together(a: Read[A], b: Read[B], c: Read[C], /) -> tuple[A, B, C]: ...
@overload
def read_together(a: Read[A], b: Read[B], c: Read[C], d: Read[D], /) -> tuple[A, B, C, D]: ...
@overload
def read_together(
    a: Read[A], b: Read[B], c: Read[C], d: Read[D], e: Read[E], /
) -> tuple[A, B, C, D, E]: ...
@overload
def read_together(*reads: Read[Any]) -> tuple[Any, ...]: ...
def read_together(*reads: Read[Any]) -> tuple[Any, ...]:
    """What each read builds, in order. On PostgreSQL the statements travel together and the
    database answers them in one round trip (psycopg's pipeline mode); elsewhere they run one
    after another. Each is still its own statement (and its own query in query counts).

    Why: a page's reads are a few small statements; one round trip instead of five saves
    more than the database's work on them (measured by `make bench`)."""
    if connection.vendor != "postgresql" or len(reads) < 2:
        return tuple(read.run() for read in reads)
    db = connections[read_alias()]
    db.ensure_connection()
    cursors = [db.cursor() for _ in reads]
    try:
        with db.wrap_database_errors, db.connection.pipeline():
            for cursor, read in zip(cursors, reads, strict=True):
                cursor.execute(read.sql, read.params)
        rows = [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
    return tuple(read.build(result) for read, result in zip(reads, rows, strict=True))


def execute_returning(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run a statement that writes rows and answers with some (`RETURNING`), on the primary:
    the rows as the driver answers them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run a statement that changes rows (a summary table's refresh); the rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


class InSubquery(Expression):
    """`column IN (subquery)` as a filter condition, written on PostgreSQL as
    `column = ANY(ARRAY(subquery))`.

    PostgreSQL plans `IN (subquery)` as a join and, when the subquery picks a few ids of a
    small table (a program's rotations), usually scans the whole big table to join it; with
    `= ANY(ARRAY(...))` it runs the subquery once first and reaches the rows it names by
    their index. The rotation completion dashboard's statements went from scanning every
    program's blocks to reading the program's own (`make bench` row (f)). Elsewhere (SQLite)
    it is the plain `IN`."""

    conditional = True

    def __init__(self, column: str, queryset: QuerySet[Any, Any]) -> None:
        super().__init__(output_field=BooleanField())
        self.column: Any = F(column)
        self.subquery: Any = Subquery(queryset)

    def get_source_expressions(self) -> list[Any]:
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.column, self.subquery = exprs

    def _parts(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, str, list[Any]]:
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        return column, subquery, [*column_params, *subquery_params]

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        column, subquery, params = self._parts(compiler, connection)
        return f"{column} IN {subquery}", params

    def as_postgresql(
        self, compiler: Any, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        column, subquery, params = self._parts(compiler, connection)
        return f"{column} = ANY(ARRAY{subquery})", params
