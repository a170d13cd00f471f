"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.

One run; the driver lists every rule (descriptions, full Markdown help and the docs page as
``helpUri``); each result has its location, the finding's ``related`` chain as
``relatedLocations`` (referenced from the message as ``[note](id)``), and its fix when it has
edits. Paths relative to the working directory are given against ``%SRCROOT%``, which
``originalUriBaseIds`` maps to that directory. Files that could not be parsed are reported as
tool execution notifications.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..findings import Finding, Location, Span
from ..pipeline import FileError
from ..ruledocs import docs_page, render_markdown
from ..rules import ALL_RULES, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning"}


def _artifact(path: str) -> dict[str, Any]:
    posix = PurePosixPath(path)
    if posix.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": BASE_ID}


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _physical(location: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(location.path)}
    if location.span is not None:
        physical["region"] = _region(location.span)
    return physical


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc.what_it_does},
        "help": {"text": rule.doc.what_it_does, "markdown": render_markdown(rule)},
        "helpUri": docs_page(rule.code),
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {"tags": ["fastapi", "sqlalchemy", "reliability"]},
    }


def _fixes(finding: Finding) -> list[dict[str, Any]]:
    fix = finding.fix
    if fix is None or not fix.edits:
        return []
    changes: dict[str, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        changes.setdefault(edit.path, []).append(
            {"deletedRegion": _region(edit.span), "insertedContent": {"text": edit.content}}
        )
    return [
        {
            "description": {"text": fix.message},
            "artifactChanges": [
                {"artifactLocation": _artifact(path), "replacements": replacements}
                for path, replacements in changes.items()
            ],
        }
    ]


def _escape_link(text: str) -> str:
    """Link text in a SARIF message: ``[`` and ``]`` are escaped with a backslash."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    text = finding.message
    related: list[dict[str, Any]] = []
    links = []
    for number, item in enumerate(finding.related, start=1):
        related.append(
            {
                "id": number,
                "physicalLocation": _physical(item.location),
                "message": {"text": item.note},
            }
        )
        links.append(f"[{_escape_link(item.note)}]({number})")
    if links:
        text += " (" + "; ".join(links) + ")"
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": text},
        "locations": [{"physicalLocation": _physical(finding.location)}],
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if related:
        result["relatedLocations"] = related
    fixes = _fixes(finding)
    if fixes:
        result["fixes"] = fixes
    return result


def build_sarif(
    findings: Sequence[Finding], errors: Sequence[FileError], cwd: Path
) -> dict[str, Any]:
    rules = [_rule(rule) for rule in ALL_RULES]
    rule_index = {rule.code: index for index, rule in enumerate(ALL_RULES)}
    notifications = [
        {
            "level": "error",
            "message": {"text": f"cannot parse: {error.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(error.path)}}],
        }
        for error in errors
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fastapi-pool-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {BASE_ID: {"uri": cwd.as_uri().rstrip("/") + "/"}},
                "invocations": [
                    {
                        "executionSuccessful": not errors,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": [_result(finding, rule_index) for finding in findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render_sarif(findings: Sequence[Finding], errors: Sequence[FileError], cwd: Path) -> str:
    return json.dumps(build_sarif(findings, errors, cwd), indent=2)
