"""Rule documentation is generated from the rules, and every rule is documented and tested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_pool_lint.cli import cli
from fastapi_pool_lint.docsgen import expected_pages, main, stale_pages
from fastapi_pool_lint.ruledocs import DOCS_DIR, docs_page, render_markdown
from fastapi_pool_lint.rules import ALL_RULES, Rule

from .expectations import expected_in
from .frontdoor_helpers import fixture_cases

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References")


def test_docs_pages_are_in_step_with_the_code() -> None:
    problems = stale_pages(REPO / DOCS_DIR)
    assert not problems, "\n".join(problems) + "\nrun: python -m fastapi_pool_lint.docsgen"


def test_a_stale_page_is_detected(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    assert stale_pages(tmp_path) == []
    page = tmp_path / f"{ALL_RULES[0].code}.md"
    page.write_text(page.read_text().replace("## Fix safety", "## Fix safty"))
    (tmp_path / "FPL999.md").write_text("# gone\n")
    problems = stale_pages(tmp_path)
    assert any("out of date" in p and page.name in p for p in problems)
    assert any("FPL999.md" in p for p in problems)
    assert main([str(tmp_path), "--check"]) == 1


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_rule_is_documented_listed_and_explained(rule: Rule) -> None:
    assert (REPO / docs_page(rule.code)).is_file()
    assert f"{rule.code}.md" in expected_pages()
    markdown = render_markdown(rule)
    headings = re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)
    assert headings == list(SECTIONS)
    assert rule.doc.references and all(r.startswith("https://") for r in rule.doc.references)
    runner = CliRunner()
    listing = runner.invoke(cli, ["rules"])
    assert listing.exit_code == 0
    assert any(line.startswith(rule.code) for line in listing.output.splitlines())
    shown = runner.invoke(cli, ["rule", rule.code.lower()])
    assert shown.exit_code == 0
    assert shown.output.rstrip("\n") == markdown.rstrip("\n")


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_rule_has_a_positive_and_a_near_miss_fixture(rule: Rule) -> None:
    cases = fixture_cases()
    positives = [c for c in cases if any(code == rule.code for _, _, code in expected_in(c))]
    assert positives, f"no fixture expects {rule.code}"
    near = f"{rule.code.lower()}_near_miss"
    near_misses = [c for c in cases if c.name.lower().startswith(near)]
    assert near_misses, f"no fixture named {near}*"
    for case in near_misses:
        assert all(code != rule.code for _, _, code in expected_in(case)), case


def test_unknown_rule_code_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["rule", "FPL999"])
    assert result.exit_code == 2
    assert "unknown rule code" in result.output
