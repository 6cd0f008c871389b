"""What the gateway's modules may import, read from their source with `ast` (nothing is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "gateway"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, with its line: `import a.b`, `from a.b import c` (as a.b and a.b.c)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def test_the_gateways_contract_imports_nothing_of_the_gateway_but_itself() -> None:
    contract = GATEWAY / "contract.py"
    found = [
        f"gateway/contract.py:{line} imports {module}"
        for line, module in imported_modules(contract)
        if module.split(".")[0] == "gateway" and not module.startswith("gateway.contract")
    ]
    found += [
        f"gateway/contract.py:{line} imports {module}: a contract does no I/O"
        for line, module in imported_modules(contract)
        if module.split(".")[0] in {"sqlalchemy", "psycopg2", "aio_pika", "kombu", "nameko", "fastapi"}
    ]
    assert not found, "services import gateway/contract.py without the gateway:\n" + "\n".join(found)


def test_no_module_of_the_gateway_imports_the_operators_command() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(GATEWAY.rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0] == "caserev"
    ]
    assert not found, (
        "the gateway must not depend on caserev (the operator's command): move what it needs into a module"
        " the gateway owns, or the kernel:\n" + "\n".join(sorted(set(found)))
    )
