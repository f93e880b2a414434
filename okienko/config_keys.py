"""Which keys a configuration file may hold, table by table; anything else stops the load.

One rule for the office file (office/config_file.py) and the settings file (settings.py): a key the
file does not know is a mistake, named with its path and, where one is close, the key that was
probably meant (`service[1] (F).daily_limt: unknown key; did you mean daily_limit?`). Silently
ignoring it would let a typo change nothing and say nothing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Table:
    """A TOML table: the plain keys it takes, and the keys that hold tables of their own.

    With `named_by`, the table is an array of tables (`[[service]]`) whose items are named in
    messages by their index and that key's value: `service[1] (F)`.
    """

    keys: tuple[str, ...] = ()
    tables: dict[str, "Table"] = field(default_factory=dict)
    named_by: str | None = None

    @property
    def every_key(self) -> tuple[str, ...]:
        return (*self.keys, *self.tables)


def item_path(where: str, index: int, item: Any, named_by: str | None) -> str:
    """`service[1] (F)`: an item of an array of tables, by index and by what names it."""
    path = f"{where}[{index}]"
    name = item.get(named_by) if isinstance(item, dict) and named_by else None
    if name is not None and str(name).strip():
        path += f" ({str(name).strip()})"
    return path


def unknown_keys(raw: Any, table: Table, where: str = "") -> list[str]:
    """Every key in `raw` that `table` does not take, and every table that is not one, with its path."""
    if not isinstance(raw, dict):
        return [f"{where}: expected a table"]
    problems: list[str] = []
    for key, value in raw.items():
        path = _path(where, key)
        inner = table.tables.get(key)
        if inner is None:
            if key not in table.keys:
                problems.append(unknown_key(key, table.every_key, where))
        elif inner.named_by is None:
            problems += unknown_keys(value, inner, path)
        elif not isinstance(value, list):
            problems.append(f"{path}: expected [[{path}]] tables")
        else:
            for index, item in enumerate(value):
                problems += unknown_keys(item, inner, item_path(path, index, item, inner.named_by))
    return problems


def unknown_key(key: str, known: tuple[str, ...], where: str) -> str:
    """The message for one unknown key: its path, and the known key it most resembles."""
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known) or 'none'}"
    return f"{_path(where, key)}: unknown key; {hint}"


def walk(table: Table, where: str = "") -> Iterator[tuple[str, Table]]:
    """Every table of the schema with its TOML name (`office.booking`), `table` itself first."""
    yield where, table
    for key, inner in table.tables.items():
        yield from walk(inner, _path(where, key))


def _path(where: str, key: Any) -> str:
    text = str(key) if _BARE_KEY.match(str(key)) else '"' + str(key).replace('"', '\\"') + '"'
    return f"{where}.{text}" if where else text
