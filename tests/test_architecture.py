"""The house: packages import one way (``shared/DESIGN.md``), and models hold no other logic.

Each package of ``marketplace/`` may import only the packages of the layers before its own —
imports inside functions included, since an import that waits is an import all the same. So no
circle between packages can come back, and a new package must be given its place here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "marketplace"
# The layers, lowest first (DESIGN.md "Packages import one way"); a package may import those of
# the layers before its own, and within a layer those listed before it.
ORDER = (
    "common",
    "system",
    "audit",
    "notifications",
    "cities",
    "auth",
    "workers",
    "employers",
    "brokers",
    "jobs",
    "bookings",
    "earnings",
    "disputes",
    "subsidies",
    "matching",
    "stats",
    "privacy",
    "desk",
)


def _packages() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def _imports(path: Path, module_parts: tuple[str, ...] | None = None) -> set[str]:
    """The ``marketplace.<package>`` names a module imports, wherever in it the import stands.

    ``module_parts`` (``("marketplace", "workers", "services")``) default to the path's own.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_parts or path.relative_to(ROOT.parent).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                module = ".".join((*base, node.module or ""))
            else:
                module = node.module or ""
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) > 1 and parts[0] == "marketplace" and (ROOT / parts[1]).is_dir():
                found.add(parts[1])
    return found


def test_every_package_has_its_place_in_the_order():
    assert set(_packages()) <= set(ORDER), set(_packages()) - set(ORDER)


def test_packages_import_only_the_packages_before_them():
    rank = {name: position for position, name in enumerate(ORDER)}
    upward = []
    for package in _packages():
        for path in (ROOT / package).rglob("*.py"):
            for target in _imports(path) - {package}:
                if rank[target] > rank[package]:
                    upward.append(f"{path.relative_to(ROOT.parent)} imports {target}")
    assert upward == []


def test_a_model_imports_no_other_domains_logic():
    """A model may use ``common`` and other domains' models, never their services or rules."""
    leaking = []
    for path in ROOT.rglob("models.py"):
        package = path.relative_to(ROOT).parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                "marketplace."
            ):
                continue
            parts = node.module.split(".")  # type: ignore[union-attr]
            if len(parts) < 3 or parts[1] in (package, "common"):
                continue
            if parts[-1] != "models":
                leaking.append(f"{path.relative_to(ROOT.parent)}: from {node.module} import …")
    assert leaking == []


def test_the_check_finds_an_import_hidden_in_a_function_and_a_relative_one(tmp_path):
    """The check itself can fail: what a probe module imports is found, however written."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def later():\n    from marketplace.bookings import services\n"
        "from ..matching import pool\nimport marketplace.stats.services\n"
    )
    found = _imports(probe, ("marketplace", "workers", "probe"))
    assert found == {"bookings", "matching", "stats"}


STATEMENT_BUILDERS = {"select", "insert", "update", "delete", "text"}


def _statements_built_at_import(source: str) -> list[str]:
    """Module-level names bound to a statement built at import, or by a cache other than
    ``@prebuilt`` (``lru_cache``, ``cache``) around a function that builds one."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            calls = [n for n in ast.walk(node.value) if isinstance(n, ast.Call)]
            names = {c.func.id for c in calls if isinstance(c.func, ast.Name)}
            if names & STATEMENT_BUILDERS:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [ast.unparse(target) for target in targets]
        elif isinstance(node, ast.FunctionDef):
            caches = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
            builds = {
                n.func.id
                for n in ast.walk(node)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            }
            if (
                caches & {"lru_cache", "cache", "functools.lru_cache"}
                and builds & STATEMENT_BUILDERS
            ):
                found.append(node.name)
    return found


def test_hot_statements_are_built_one_way():
    """A repeated statement is built by a ``@prebuilt`` function (``database.py``), on first use."""
    elsewhere = []
    for path in ROOT.rglob("*.py"):
        for name in _statements_built_at_import(path.read_text(encoding="utf-8")):
            elsewhere.append(f"{path.relative_to(ROOT.parent)}: {name}")
    assert elsewhere == []


def test_the_statement_check_finds_a_constant_and_a_cached_builder():
    probe = (
        "from functools import lru_cache\n"
        "_TAIL = select(A.seq).limit(1)\n"
        "@lru_cache(maxsize=1)\ndef _query():\n    return select(A)\n"
        "@prebuilt\ndef _fine():\n    return select(A)\n"
        "NAMES = ('a', 'b')\n"
    )
    assert _statements_built_at_import(probe) == ["_TAIL", "_query"]
