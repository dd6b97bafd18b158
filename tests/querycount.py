"""Count the SQL statements an engine runs inside a block (to prove a page has no N+1).

    with count_queries(app.state.engine) as counter:
        client.get("/v/xinghua/members")
    assert counter.count == 5
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return f"{self.count} statements:\n" + "\n".join(f"  {s.splitlines()[0][:160]}" for s in self.statements)


@contextmanager
def count_queries(engine: Engine) -> Iterator[QueryCounter]:
    """Every statement sent to the database through `engine` while the block runs."""
    counter = QueryCounter()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
