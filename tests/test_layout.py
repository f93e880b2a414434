"""The layers, as the README's architecture section draws them, checked on every import in the code
(function-level ones too): the core knows nothing of the web, the screens or the command line,
and no two modules import each other, however indirectly."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("okienko", "okienko_server", "pages", "booking_api", "kiosk", "console", "display_board",
           "booking_site", "back_office", "printers", "calendar_sync")
SCREENS = ("kiosk", "console", "display_board", "booking_site", "back_office")
WEB = ("starlette", "uvicorn", "jinja2", "websockets")
# What each layer may import of the project (besides itself); the screens and pages take from the
# API only the request helpers, sessions and presenters, never a handler module.
SHARED_API = ("booking_api.http", "booking_api.sessions", "booking_api.presenters", "booking_api.bodies")
ALLOWED = {
    "printers": (),
    "calendar_sync": (),
    "okienko": ("printers", "calendar_sync"),
    "booking_api": ("okienko", "printers", "calendar_sync"),
    "pages": ("okienko", *SHARED_API),
    **{screen: ("okienko", "pages", "printers", *SHARED_API) for screen in SCREENS},
    "okienko_server": PROJECT,
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PROJECT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:   # Alembic's scripts: storage's own, run by migrate.py
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_each_layer_imports_only_what_is_below_it():
    wrong = []
    for name, path in modules().items():
        layer = name.split(".")[0]
        for target in imports(path):
            top = target.split(".")[0]
            if top in PROJECT and top != layer and not within(target, ALLOWED[layer]):
                # `from booking_api import http` names the package first: judge the module it takes
                if target in PROJECT and any(within(other, ALLOWED[layer])
                                             for other in imports(path) if other.startswith(target + ".")):
                    continue
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_the_core_imports_no_web_framework():
    wrong = [f"{name} imports {target}" for name, path in modules().items() if within(name, ("okienko",))
             for target in imports(path) if within(target, WEB)]
    assert wrong == []


def test_no_screen_imports_another():
    wrong = [f"{name} imports {target}" for name, path in modules().items() if within(name, SCREENS)
             for target in imports(path) if within(target, SCREENS) and target.split(".")[0] != name.split(".")[0]]
    assert wrong == []


def test_no_import_cycles():
    found = modules()
    graph = {name: {target for target in imports(path) if target in found and target != name}
             for name, path in found.items()}
    cycles = _cycles(graph)
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_checks_catch_what_they_are_for():
    """The rules themselves, on made-up modules: a cycle and a layer break are seen."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    assert not within("booking_api.tickets", ALLOWED["kiosk"])
    assert within("booking_api.presenters", ALLOWED["kiosk"])
    assert not within("kiosk.pages", ALLOWED["okienko"])
