"""The package's boundaries are in its names (CONTRIBUTING.md, "Layout and rules").

A module of ``textprint`` may import from another module only the names that module lists in
its ``__all__``; from a public module (no path part starting with ``_``) never an underscored
name. A public module's functions and classes are in its ``__all__`` or underscored, and no
docstring calls a public name "private". The checks read the source with ``ast`` (imports
inside functions included), so they also see imports that only run on some paths.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import textprint

PACKAGE = Path(textprint.__file__).resolve().parent

#: Imports that break the rule, each allowed by name until its owner's issue removes it.
#: Nothing may be added here.
KNOWN_CROSSINGS: dict[tuple[str, str], set[str]] = {}
#: Public functions and classes outside ``__all__`` that their owners' issues rename. Nothing
#: may be added here.
KNOWN_UNEXPORTED: dict[str, set[str]] = {}
#: A package whose modules import each other's names before they have an ``__all__`` (the
#: Registry, being rebuilt into a package by issue 13): imports between its own modules are not
#: checked yet; its imports from the rest of the package are.
UNDER_CONSTRUCTION = "textprint.registry"


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    source: str  # the module imported from
    name: str
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_public(module: str) -> bool:
    return not any(part.startswith("_") for part in module.split("."))


def modules() -> list[Path]:
    """The package's modules (``__main__`` aside: importing it runs the command line)."""
    return sorted(
        p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts and p.name != "__main__.py"
    )


def is_private_name(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imports_in(source: str, *, here: str, package: str) -> list[Import]:
    """Every ``from X import name`` of the package's own modules in `source` (the module
    `here`, in `package`), resolved to absolute module names."""
    out: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1]
            source_module = ".".join(base + ([node.module] if node.module else []))
        else:
            source_module = node.module or ""
        if source_module != "textprint" and not source_module.startswith("textprint."):
            continue
        for alias in node.names:
            if _is_package(source_module) and _is_module(f"{source_module}.{alias.name}"):
                continue  # `from . import module`: a module, not a name
            out.append(Import(here, source_module, alias.name, node.lineno))
    return out


def imports_of(path: Path) -> list[Import]:
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), here=here, package=package)


def violations(imports: list[Import]) -> list[str]:
    """What breaks the rules among `imports` (the known crossings aside)."""
    bad = []
    for imp in imports:
        if imp.name in KNOWN_CROSSINGS.get((imp.module, imp.source), set()):
            continue
        if _inside(imp.module, UNDER_CONSTRUCTION) and _inside(imp.source, UNDER_CONSTRUCTION):
            continue
        exported = getattr(importlib.import_module(imp.source), "__all__", None)
        if is_public(imp.source) and is_private_name(imp.name):
            bad.append(
                f"line {imp.line}: {imp.source}.{imp.name} is a public module's private name"
            )
        elif exported is None or imp.name not in exported:
            bad.append(f"line {imp.line}: {imp.name} is not in {imp.source}.__all__")
    return bad


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _is_module(module: str) -> bool:
    path = PACKAGE.parent / module.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").is_file()


def test_the_walk_sees_every_module() -> None:
    names = {module_name(p) for p in modules()}
    assert {"textprint", "textprint.normalization", "textprint._kernels"} <= names
    assert "textprint.integrations.spark" in names


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_imports_cross_boundaries_only_by_all(path: Path) -> None:
    bad = violations(imports_of(path))
    assert not bad, f"{module_name(path)}: " + "; ".join(bad)


def test_a_violation_is_seen() -> None:
    """The check can fail: a private name of a public module, or a name missing from a private
    module's __all__, imported from anywhere in the package (a function body included)."""
    probe = (
        "from ._validation import check_param\n"
        "from .minhash import MinHasher\n"
        "def f():\n"
        "    from .minhash import _densify\n"
        "    from ._validation import _checked\n"
    )
    found = imports_in(probe, here="textprint.winnowing", package="textprint")
    assert [(i.source, i.name) for i in found] == [
        ("textprint._validation", "check_param"),
        ("textprint.minhash", "MinHasher"),
        ("textprint.minhash", "_densify"),
        ("textprint._validation", "_checked"),
    ]
    bad = violations(found)
    assert len(bad) == 2
    assert "textprint.minhash._densify is a public module's private name" in bad[0]
    assert "_checked is not in textprint._validation.__all__" in bad[1]


def test_known_crossings_are_still_needed() -> None:
    """An allowance nobody uses any more is removed, not kept."""
    used = {(i.module, i.source, i.name) for p in modules() for i in imports_of(p)}
    for (module, source), names in KNOWN_CROSSINGS.items():
        for name in names:
            assert (module, source, name) in used, f"{module} no longer imports {source}.{name}"


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_all_names_exist(path: Path) -> None:
    module = importlib.import_module(module_name(path))
    for name in getattr(module, "__all__", ()):
        assert hasattr(module, name), f"{module.__name__}.__all__ names {name}, which is missing"


PUBLIC = [p for p in modules() if is_public(module_name(p))]


@pytest.mark.parametrize("path", PUBLIC, ids=module_name)
def test_public_modules_underscore_what_they_do_not_export(path: Path) -> None:
    module = importlib.import_module(module_name(path))
    exported = set(getattr(module, "__all__", ()))
    known = KNOWN_UNEXPORTED.get(module.__name__, set())
    bad = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if node.name in known:
                continue
            if node.name not in exported:
                bad.append(f"{node.name} is neither in __all__ nor underscored")
            if "(private" in (ast.get_docstring(node) or "").lower():
                bad.append(f"{node.name}'s docstring says it is private")
    assert not bad, f"{module.__name__}: " + "; ".join(bad)


def test_known_unexported_names_still_exist() -> None:
    for module, names in KNOWN_UNEXPORTED.items():
        for name in names:
            assert hasattr(importlib.import_module(module), name), f"{module}.{name} is gone"
