"""All SQL lives behind the store: the services (and the other callers of the store) hold
rules and no SQL text, so a second engine touches `reference_impl/store/` only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "reference_impl"
# Callers of the store that must not hold SQL: the services (issue 19), and the modules that
# read and write state through them.
GUARDED = sorted([*(ROOT / "services").glob("*.py"), *(ROOT / "handlers").glob("*.py"),
                  ROOT / "auth.py", ROOT / "streaming.py", ROOT / "seed.py",
                  ROOT / "throttle.py", ROOT / "recovery.py", ROOT / "mock" / "sessions.py",
                  ROOT / "mock" / "shared_sessions.py", ROOT / "mock" / "shared_journal.py",
                  ROOT / "mock" / "journal.py", ROOT / "mock" / "presets.py",
                  ROOT / "mock" / "shared_presets.py"])
# A statement's head, or a clause no prose has: enough to tell SQL from messages and comments.
SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|"
                 r"DELETE\s+FROM|CREATE\s+(TABLE|INDEX)|DROP\s+TABLE|PRAGMA\s+\w+|"
                 r"BEGIN\s+IMMEDIATE|ORDER\s+BY|WHERE\s+\w+\s*(=|<|>|IN\b))", re.I | re.S)
# Calls that would run SQL text handed over by the caller.
RAW_CALLS = {"execute", "executescript", "executemany", "one", "all", "run", "page", "pages",
             "delete_all", "insert", "update"}


def sql_strings(source: str) -> list[str]:
    """Every string constant (f-string parts included) that reads as SQL; docstrings, which
    may name what the store does, excepted."""
    tree = ast.parse(source)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                    ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docstrings and SQL.search(node.value):
            found.append(node.value)
    return found


def raw_calls(source: str) -> list[str]:
    """`store.one(...)`, `conn.execute(...)` and the like: the store's generic SQL methods
    called directly (the repositories' methods, `store.<table>.<verb>`, are what callers use)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in RAW_CALLS and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in {"store", "conn", "db"}:
            found.append(f"{node.func.value.id}.{node.func.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in RAW_CALLS and isinstance(node.func.value, ast.Attribute) \
                and node.func.value.attr == "store":
            found.append(f"....store.{node.func.attr}")
    return found


@pytest.mark.parametrize("path", GUARDED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sql_outside_the_store(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert sql_strings(source) == [], f"SQL text in {path.relative_to(ROOT)}: move it to store/"
    assert raw_calls(source) == [], f"raw SQL calls in {path.relative_to(ROOT)}"


@pytest.mark.parametrize("text", [
    "SELECT * FROM messages WHERE id = ?",
    "DELETE FROM shares WHERE id = ?",
    "INSERT OR REPLACE INTO read_markers VALUES (?, ?)",
    "UPDATE messages SET status = 'failed'",
    " AND instr(lower(title), lower(?)) > 0 ORDER BY seq",
])
def test_the_check_finds_sql(text: str) -> None:
    assert sql_strings(f"x = {text!r}\n")
    assert raw_calls('store.one("x")\nconn.execute("y")\nself.store.all("z")\n') == \
        ["store.one", "conn.execute", "....store.all"]


@pytest.mark.parametrize("text", ["Conversation not found", "Select a message to delete",
                                  "The server stopped while the reply was written"])
def test_the_check_leaves_prose_alone(text: str) -> None:
    assert sql_strings(f"x = {text!r}\n") == []


def test_the_check_leaves_docstrings_alone() -> None:
    source = 'def f():\n    """Reads with PRAGMA query_only, never SELECT * FROM t."""\n'
    assert sql_strings(source) == []
    assert sql_strings(source + '    q = "SELECT * FROM t"\n') == ["SELECT * FROM t"]
