"""The layering of design.md §3, read from the source: no file imports a higher layer, no cycles.

Layers, low to high (a module may import its own layer or lower ones):

    core → audit → accounts → web (toolkit) → the rules' base → orgs/members → compliance
         → domain apps → interchange/portal → demo → the project (settings, urls, cli)

"The rules' base" is the part of the engine every `rules.py` imports (`compliance.engine`, the
packs and the finding model): it sits below the apps that contribute rules (orgs among them), the
rest of compliance (scan, roll-ups, dashboard) above them — design.md §5.

Imports inside functions count for the layering (an upward import cannot hide in a function). The
cycle check reads module-level imports: an import inside a function is how a real cycle is broken,
and each such import carries a `noqa: PLC0415` with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dangjian"

LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("audit",),
    ("accounts",),
    ("web",),
    ("compliance.engine", "compliance.packs", "compliance.models", "compliance.signals"),
    ("orgs", "members"),
    ("compliance",),
    (
        "notify",
        "supervision",
        "fees",
        "meetings",
        "recruitment",
        "transfers",
        "learning",
        "community",
        "villages",
        "enterprises",
        "academy",
    ),
    ("interchange", "portal", "assistant"),
    ("demo",),
    ("settings", "urls", "wsgi", "cli", "__init__"),
]

# Upward imports that are part of the design, each with its reason. Keep this list short.
ALLOWED: dict[tuple[str, str], str] = {
    ("accounts.policy", "orgs.models"): (
        "the scoping choke point: a grant is on a node of the tree and visible_to() returns "
        "organizations; the tree model is the one thing above accounts that policy must know"
    ),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def _imports() -> dict[str, list[tuple[str, bool]]]:
    """module → [(imported dangjian module, at module level)]."""
    out: dict[str, list[tuple[str, bool]]] = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = _module_name(path)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(n) for n in tree.body}
        # imports under `if TYPE_CHECKING:` at module level are not run
        for n in tree.body:
            if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
                top_level.update(id(c) for c in ast.walk(n) if c is not n)
        found: list[tuple[str, bool]] = []
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, is_package, node)
                if target.startswith("dangjian."):
                    target = target[len("dangjian.") :]
                elif node.level == 0:
                    continue
                # `from x import y` names the module x.y when y is one, else the module x
                names = [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [
                    a.name[len("dangjian.") :] for a in node.names if a.name.startswith("dangjian.")
                ]
            found.extend((name, id(node) in top_level) for name in names)
        out[module] = found
    return out


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for index, members in enumerate(LAYERS):
        for prefix in members:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} belongs to no layer: add its app to LAYERS")
    return best


def _known(modules: set[str], name: str) -> str | None:
    """The module `name` refers to (an attribute import resolves to its module)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def test_every_app_has_a_layer() -> None:
    for module in _imports():
        _layer(module)


def test_no_import_reaches_a_higher_layer() -> None:
    graph = _imports()
    modules = set(graph)
    wrong = []
    for module, targets in graph.items():
        for name, _top in targets:
            target = _known(modules, name)
            if target is None or target == module:
                continue
            if _layer(target) > _layer(module) and not any(
                module.startswith(a) and target.startswith(b) for a, b in ALLOWED
            ):
                wrong.append(f"{module} → {target}")
    assert "\n".join(sorted(set(wrong))) == ""


def test_no_import_cycle_between_files() -> None:
    graph = _imports()
    modules = set(graph)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, targets in graph.items():
        for name, top in targets:
            target = _known(modules, name)
            # a package's __init__ that re-exports its own modules is one unit with them
            if top and target and target != module and not target.startswith(module + "."):
                edges[module].add(target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module)
    assert [" → ".join(c) for c in cycles] == []


@pytest.mark.parametrize("allowed", sorted(ALLOWED))
def test_every_allowed_upward_import_is_still_needed(allowed: tuple[str, str]) -> None:
    graph = _imports()
    source, target = allowed
    assert any(
        name.startswith(target)
        for module, names in graph.items()
        if module.startswith(source)
        for name, _top in names
    ), f"{source} no longer imports {target}: remove it from ALLOWED"
