"""The shape of the house: small modules, imports only downward, no cycle, self-contained effects."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pytok_sm"
MAX_LINES = 420  # "no module over about 400 lines"

#: Layers from the top; a module may import its own layer and those below it, never above.
LAYERS = [
    ("cli",),
    ("_app",),
    ("_kit", "_kit_base", "_kit_posting", "_kit_videos", "_locks"),
    ("_policy", "_post_policy", "_video_policy"),
    ("drivers",),
    ("flows", "webhooks"),
    ("_tiktok", "_callback", "_web", "_posting_values", "_posting_rules", "_posting_wire", "_video_wire"),
    ("_http",),
    ("stores",),
    ("_config", "_scopes", "_token", "_pkce"),
    ("_retry",),
    ("_secrets", "logs"),
    ("_errors", "_posting_errors", "_contract", "_version"),
]
#: Beside the layers (they use the library from outside, or nothing of it).
BESIDE = ("sandbox", "testing", "qr", "_diagrams", "__init__", "__main__")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def runtime_imports(name: str, path: Path) -> set[str]:
    """pytok_sm modules ``name`` imports when it runs (not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".")[:-1] if not path.name == "__init__.py" else name.split(".")
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)] if child.level > 1 else package
                    target = [*base, *(child.module.split(".") if child.module else [])]
                elif child.module and child.module.startswith("pytok_sm"):
                    target = child.module.split(".")[1:]
                else:
                    continue
                for alias in child.names:
                    full = ".".join([*target, alias.name])
                    found.add(full if full in ALL else ".".join(target))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("pytok_sm."):
                        found.add(alias.name.removeprefix("pytok_sm."))
            visit(child)

    visit(tree)
    return {m for m in found if m in ALL and m != name}


ALL = modules()
for _ in list(ALL):
    if ALL[_].name == "__init__.py" and _ != "__init__":
        ALL[_.rpartition(".")[0] or _] = ALL[_]
ALL.pop("", None)


def layer_of(name: str) -> int | None:
    top = name.split(".")[0]
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index
    return None


@pytest.mark.parametrize("name", sorted(n for n, p in ALL.items() if not n.endswith("__init__")))
def test_no_module_is_over_about_400_lines(name: str) -> None:
    lines = len(ALL[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_every_module_belongs_to_a_layer_or_stands_beside() -> None:
    for name in ALL:
        top = name.split(".")[0]
        assert layer_of(name) is not None or top in BESIDE, name


def test_imports_go_only_downward() -> None:
    upward = []
    for name, path in ALL.items():
        mine = layer_of(name)
        if mine is None:
            continue
        for target in runtime_imports(name, path):
            theirs = layer_of(target)
            if theirs is not None and theirs < mine:
                upward.append(f"{name} -> {target}")
            if target.split(".")[0] in ("sandbox", "testing") and mine > 0:  # only the CLI uses them
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    graph = {name: {t for t in runtime_imports(name, path) if not t.endswith("__init__")} for name, path in ALL.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own submodules
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                walk(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert cycles == []


def test_drivers_read_only_what_effects_carry() -> None:
    """A driver never reaches into a flow's configuration or its class: the effect says all."""
    for path in (PACKAGE / "drivers").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "flow.config" not in text and "isinstance(flow" not in text, path.name
        assert "flows._browser" not in text and "BrowserFlow" not in text, path.name


def test_single_call_flows_share_one_helper() -> None:
    from pytok_sm.flows import RefreshFlow, RevokeFlow, UserInfoFlow
    from pytok_sm.flows._call import CallFlow

    for flow_class in (RefreshFlow, RevokeFlow, UserInfoFlow):
        assert issubclass(flow_class, CallFlow)
        assert "_on_answer" not in vars(flow_class) and "_enter_calling" not in vars(flow_class)
