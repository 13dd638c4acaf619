"""Loads the named SQL blocks of queries.sql once (`-- name --`, a comment, then the statement)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import TextClause, text

_BLOCK = re.compile(r"^-- (\w+) --$", re.MULTILINE)


def load_queries(path: Path) -> dict[str, TextClause]:
    source = path.read_text()
    names = _BLOCK.findall(source)
    bodies = _BLOCK.split(source)[2::2]
    queries = {}
    for name, body in zip(names, bodies):
        sql = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--"))
        queries[name] = text(sql.strip().rstrip(";"))
    return queries


QUERIES = load_queries(Path(__file__).with_name("queries.sql"))
