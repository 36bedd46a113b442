"""The package's shape, checked from the source with ``ast``: layers, cycles, privacy, size.

Every import of every module of ``src/losslab`` counts: ``import x`` and ``from x import y``,
at module level and inside functions, relative ones resolved, and the lazy
``"module:attribute"`` tables of package ``__init__`` files (``_LAZY``). A failure lists each
violation as ``path:line: importer -> imported (name): why``.

The layer table below is the one definition of the layers; ``docs/CONTRIBUTING.md`` shows
the same order.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "losslab"

#: Bottom to top. A module may import modules of its own layer and of the layers below it.
#: The package root ``losslab/__init__.py`` may import anything (it does so lazily).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "_params", "_vocab", "_lazy", "_html"),
    ("reference",),
    ("losses",),
    ("catalog",),
    ("callbacks",),
    ("data",),
    ("verify",),
    ("advisor",),
    ("evaluation",),
    ("experiment",),
    ("spark",),
    ("report", "integrations"),
    # the public facades: ``losslab.evaluate`` (local or Spark engine) and ``losslab.compare``
    # / ``run`` / ``tune`` (the experiment with the report and the integrations' exports)
    ("_evaluate", "_experiment"),
    ("cli",),
)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}

#: The only upward imports allowed, each inside a function only (layer of the importer,
#: imported module). None today: the end of a run receives the report and the MLflow /
#: TensorBoard exports as callbacks from the facade ``losslab._experiment``; an entry here
#: is a debt to be paid.
FUNCTION_LEVEL_HOOKS: frozenset[tuple[str, str]] = frozenset()

MAX_LINES = 450
#: Data-only modules exempt from the length limit.
LENGTH_EXEMPT = ("losslab/catalog/entries/",)


@dataclass(frozen=True)
class Import:
    """One import of a losslab module by another."""

    importer: str  # module name, e.g. "losslab.report.html"
    path: str  # file path relative to src/
    line: int
    target: str  # the module that is imported (resolved)
    name: str | None  # the attribute imported from it (None: the module itself)
    module_level: bool  # executed when the importer is imported
    type_only: bool  # inside ``if TYPE_CHECKING:``
    how: str  # "import", "from", "attribute" or "lazy table"

    def where(self) -> str:
        what = self.target + (f" ({self.name})" if self.name else "")
        return f"{self.path}:{self.line}: {self.importer} -> {what}"


# ----------------------------------------------------------------------------- the modules
def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve_relative(importer: str, level: int, module: str | None) -> str:
    base = importer.split(".")
    if not _is_package(importer):
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _root_table() -> tuple[dict[str, str], set[str]]:
    """The root package's lazy names (name -> module) and lazily reachable subpackages."""
    tree = ast.parse(MODULES[PACKAGE].read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    subs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            ids = {t.id for t in targets if isinstance(t, ast.Name)}
            value = node.value
            if "_LAZY" in ids and isinstance(value, ast.Dict):
                for k, v in zip(value.keys, value.values, strict=True):
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant):
                        names[str(k.value)] = str(v.value).partition(":")[0]
            if "_SUBMODULES" in ids and isinstance(value, ast.Set | ast.List | ast.Tuple):
                subs |= {str(e.value) for e in value.elts if isinstance(e, ast.Constant)}
    return names, subs


ROOT_LAZY, ROOT_SUBMODULES = _root_table()


def _split_target(dotted: str) -> tuple[str, str | None]:
    """``losslab.a.b`` -> (the longest module prefix, the rest as an attribute name or None)."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        mod = ".".join(parts[:n])
        if mod in MODULES:
            rest = parts[n:]
            return mod, (rest[0] if rest else None)
    return dotted, None


def _resolve_root_attribute(attr: str) -> tuple[str, str | None]:
    """``losslab.<attr>`` -> the module and name it stands for."""
    if attr in ROOT_LAZY:
        return ROOT_LAZY[attr], attr
    if attr in ROOT_SUBMODULES or f"{PACKAGE}.{attr}" in MODULES:
        return f"{PACKAGE}.{attr}", None
    return PACKAGE, attr


# ----------------------------------------------------------------------------- the imports
class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, path: str) -> None:
        self.module = module
        self.path = path
        self.depth = 0  # inside a function
        self.type_only = 0  # inside ``if TYPE_CHECKING:``
        self.found: list[Import] = []
        self.root_aliases: list[set[str]] = [set()]  # names bound to the root package, per scope

    def _add(self, line: int, target: str, name: str | None, how: str) -> None:
        if target == self.module or not (target == PACKAGE or target.startswith(PACKAGE + ".")):
            return
        self.found.append(
            Import(
                self.module, self.path, line, target, name, self.depth == 0, self.type_only > 0, how
            )
        )

    def _scope(self, node: ast.AST) -> None:
        self.depth += 1
        self.root_aliases.append(set(self.root_aliases[-1]))
        self.generic_visit(node)
        self.root_aliases.pop()
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _scope

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        is_tc = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        if not is_tc:
            self.generic_visit(node)
            return
        self.type_only += 1
        for child in node.body:
            self.visit(child)
        self.type_only -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == PACKAGE:
                self.root_aliases[-1].add(alias.asname or PACKAGE)
                continue
            if alias.name.startswith(PACKAGE + "."):
                if alias.asname is None:
                    self.root_aliases[-1].add(PACKAGE)
                target, name = _split_target(alias.name)
                self._add(node.lineno, target, name, "import")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = (
            _resolve_relative(self.module, node.level, node.module) if node.level else node.module
        )
        if base is None:
            return
        for alias in node.names:
            if f"{base}.{alias.name}" in MODULES:  # a submodule
                self._add(node.lineno, f"{base}.{alias.name}", None, "from")
            elif base == PACKAGE:
                target, name = _resolve_root_attribute(alias.name)
                self._add(node.lineno, target, name, "from")
            else:
                self._add(node.lineno, base, alias.name, "from")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # ``import losslab`` then ``losslab.get(...)``: the edge is to the module behind ``get``
        if isinstance(node.value, ast.Name) and node.value.id in self.root_aliases[-1]:
            target, name = _resolve_root_attribute(node.attr)
            if target != PACKAGE:
                self._add(node.lineno, target, name, "attribute")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        ids = {t.id for t in targets if isinstance(t, ast.Name)}
        if "_LAZY" in ids and isinstance(node.value, ast.Dict) and self.module != PACKAGE:
            for v in node.value.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str) and ":" in v.value:
                    mod, _, attr = v.value.partition(":")
                    self.depth += 1  # resolved on first use, like a function-level import
                    self._add(v.lineno, mod, attr, "lazy table")
                    self.depth -= 1
        self.generic_visit(node)

    visit_AnnAssign = visit_Assign  # type: ignore[assignment]


def _collect() -> list[Import]:
    out: list[Import] = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        collector = _Collector(module, str(path.relative_to(SRC)))
        collector.visit(tree)
        out += collector.found
    return out


IMPORTS = _collect()


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYER_OF.get(parts[1]) if len(parts) > 1 else None


def _by_place(line: str) -> tuple[str, int, str]:
    """Sort key: file, then line number as a number (``x.py:26`` before ``x.py:264``)."""
    path, _, rest = line.partition(":")
    number, _, tail = rest.partition(":")
    return (path, int(number), tail) if number.isdigit() else (path, 0, rest)


def _fail(title: str, lines: list[str]) -> None:
    if lines:
        ordered = sorted(set(lines), key=_by_place)
        raise AssertionError(f"{title} ({len(lines)}):\n  " + "\n  ".join(ordered))


# ----------------------------------------------------------------------------- the rules
def test_every_top_level_module_has_a_layer() -> None:
    tops = {m.split(".")[1] for m in MODULES if m != PACKAGE}
    _fail(
        "Modules and packages of losslab missing from the layer table in tests/test_architecture.py",
        [f"{PACKAGE}.{name}" for name in sorted(tops - set(LAYER_OF))],
    )


def test_no_upward_imports() -> None:
    """(b) A module imports only its own layer and the layers below, at any level."""
    bad = []
    for imp in IMPORTS:
        if imp.importer == PACKAGE:
            continue
        mine, theirs = _layer(imp.importer), _layer(imp.target)
        if mine is None or theirs is None or theirs <= mine:
            continue
        if not imp.module_level and (imp.importer.split(".")[1], imp.target) in FUNCTION_LEVEL_HOOKS:
            continue
        level = "module level" if imp.module_level else "inside a function"
        bad.append(
            f"{imp.where()}: layer {imp.importer.split('.')[1]!r} imports the higher layer "
            f"{imp.target.split('.')[1]!r} ({imp.how}, {level})"
        )
    _fail("Upward imports against the layer table", bad)


def _sccs(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _cycle_report(imports: list[Import]) -> list[str]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        edges.setdefault(imp.importer, set()).add(imp.target)
    lines = []
    for comp in _sccs(edges):
        members = set(comp)
        inside = [
            imp.where() for imp in imports if imp.importer in members and imp.target in members
        ]
        lines.append("cycle " + " <-> ".join(comp) + ":\n    " + "\n    ".join(sorted(set(inside))))
    return lines


def test_no_import_cycles_at_module_level() -> None:
    """(a) The modules imported when a module is imported never lead back to it."""
    runtime = [imp for imp in IMPORTS if imp.module_level and not imp.type_only]
    _fail("Import cycles between modules at module level", _cycle_report(runtime))


def test_cycles_through_function_level_imports_are_listed() -> None:
    """Cycles that exist only through imports inside functions do not break importing;
    they are listed as a warning (in pytest's warnings summary), not a failure."""
    runtime = [imp for imp in IMPORTS if imp.module_level and not imp.type_only]
    every = [imp for imp in IMPORTS if not imp.type_only]
    module_level = {tuple(c.split(":")[0].split()) for c in _cycle_report(runtime)}
    lazy = [c for c in _cycle_report(every) if tuple(c.split(":")[0].split()) not in module_level]
    if lazy:
        warnings.warn(
            "Import cycles through function-level imports:\n" + "\n".join(lazy), stacklevel=1
        )


def _private_part(module: str) -> tuple[str, str] | None:
    """(the private component, the package that holds it) of a dotted module name, or None."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return part, ".".join(parts[:i])
    return None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_names_across_modules() -> None:
    """(c) A ``_name`` attribute is used in its own module only: another module that needs
    it imports a public name (a private *module* ``_x.py`` may hold public names)."""
    bad = [
        f"{imp.where()}: imports the private name {imp.name!r} of another module"
        for imp in IMPORTS
        if imp.name and _is_private(imp.name)
    ]
    _fail("Private names imported across modules", bad)


def _private_part(module: str) -> tuple[str, str] | None:
    """(the private component, the package that holds it) of a dotted module name, or None."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if _is_private(part):
            return part, ".".join(parts[:i])
    return None


def test_private_modules_stay_in_their_package() -> None:
    """(c) A private module ``pkg/_x.py`` is imported from within ``pkg`` only; other packages
    import the names ``pkg/__init__.py`` re-exports (``losslab._vocab`` & co. sit in the root
    package, so every module may import them)."""
    bad = []
    for imp in IMPORTS:
        private = _private_part(imp.target)
        if private is None:
            continue
        part, package = private
        if not (imp.importer == package or imp.importer.startswith(package + ".")):
            bad.append(
                f"{imp.where()}: imports the private module {package}.{part} from outside "
                f"the package {package} (import it from {package}, which re-exports it)"
            )
    _fail("Private modules imported from another package", bad)


def test_modules_are_short() -> None:
    """(d) A module of more than 450 lines holds more than one step: split it."""
    bad = []
    for module, path in MODULES.items():
        rel = str(path.relative_to(SRC))
        if any(rel.startswith(prefix) for prefix in LENGTH_EXEMPT):
            continue
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            bad.append(f"{rel}: {n} lines ({module})")
    _fail(f"Modules over {MAX_LINES} lines", bad)


def test_the_checker_sees_imports() -> None:
    """The collector itself: known imports of this tree are found, relative ones resolved."""
    pairs = {(imp.importer, imp.target) for imp in IMPORTS}
    assert ("losslab.report.html", "losslab.report._page") in pairs
    assert ("losslab._vocab", "losslab.errors") in pairs
    assert any(imp.how == "lazy table" for imp in IMPORTS)
    assert _resolve_relative("losslab.report.html", 1, "_page") == "losslab.report._page"
    assert _resolve_relative("losslab.report", 1, "html") == "losslab.report.html"
    assert _resolve_relative("losslab.report._figures.common", 2, "_run") == "losslab.report._run"


def test_the_checker_finds_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _sccs(edges) == [["a", "b", "c"]]  # self-imports are dropped by the collector


def test_the_checker_reads_every_kind_of_import() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import losslab\n"
        "from ..catalog import get\n"
        "if TYPE_CHECKING:\n"
        "    from losslab.experiment import Results\n"
        "def f():\n"
        "    from losslab.report._run import _read_json\n"
        "    return losslab.recommend\n"
    )
    collector = _Collector("losslab.verify.check", "losslab/verify/check.py")
    collector.visit(ast.parse(source))
    found = {
        (i.line, i.target, i.name, i.module_level, i.type_only, i.how) for i in collector.found
    }
    assert found == {
        (4, "losslab.catalog", "get", True, False, "from"),
        (6, "losslab.experiment", "Results", True, True, "from"),
        (8, "losslab.report._run", "_read_json", False, False, "from"),
        (9, "losslab.advisor", "recommend", False, False, "attribute"),
    }
