"""The flake8 plugin reports what the CLI reports, and honours flake8's own selection options."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_pool_lint.flake8_plugin import FastAPIPoolLintChecker

from .expectations import expected_in
from .frontdoor_helpers import as_project, cli_found, fixture_cases, flake8_found, run


@pytest.mark.parametrize("case", fixture_cases(), ids=lambda p: p.name)
def test_flake8_and_cli_report_the_same_findings(case: Path, tmp_path: Path) -> None:
    project = as_project(case, tmp_path)
    cli, _ = cli_found(project)
    flake8, _ = flake8_found(project, "--select", "FPL", ".")
    assert flake8 == cli
    assert cli == expected_in(project)


def test_parallel_jobs_give_the_same_findings(tmp_path: Path) -> None:
    project = as_project(Path(__file__).parent / "fixtures" / "projects" / "suppressions", tmp_path)
    serial, _ = flake8_found(project, "--select", "FPL", "--jobs", "1", ".")
    parallel, _ = flake8_found(project, "--select", "FPL", "--jobs", "4", ".")
    assert serial and parallel == serial


def test_one_file_is_reported_with_its_whole_project(tmp_path: Path) -> None:
    project = as_project(
        Path(__file__).parent / "fixtures" / "projects" / "fpl001_cross_module", tmp_path
    )
    found, _ = flake8_found(project, "--select", "FPL", "app/database.py")
    assert {(path, code) for path, _, code in found} == {("app/database.py", "FPL001")}
    found, _ = flake8_found(project, "--select", "FPL", "app/routers/items.py")
    assert found == set()


def _single(tmp_path: Path, name: str) -> Path:
    return as_project(Path(__file__).parent / "fixtures" / "single" / name, tmp_path)


def test_select_ignore_and_extend_select(tmp_path: Path) -> None:
    project = _single(tmp_path, "fpl003_fpl004.py")
    everything, _ = flake8_found(project, "--select", "FPL", ".")
    codes = {code for _, _, code in everything}
    assert codes == {"FPL003", "FPL004"}
    only_3, _ = flake8_found(project, "--select", "FPL003", ".")
    assert only_3 == {f for f in everything if f[2] == "FPL003"}
    ignored, _ = flake8_found(project, "--select", "FPL", "--ignore", "FPL004", ".")
    assert ignored == only_3
    extended, _ = flake8_found(project, "--select", "E9", "--extend-select", "FPL004", ".")
    assert extended == {f for f in everything if f[2] == "FPL004"}


def test_noqa_per_file_ignores_and_disable_noqa(tmp_path: Path) -> None:
    project = _single(tmp_path, "fpl003_fpl004.py")
    source = project / "fpl003_fpl004.py"
    lines = source.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("a = create_engine"))
    lines[number] = lines[number].replace("# expect: FPL003", "# noqa: FPL003")
    source.write_text("\n".join(lines) + "\n")
    baseline, _ = flake8_found(project, "--select", "FPL", "--disable-noqa", ".")
    honoured, _ = flake8_found(project, "--select", "FPL", ".")
    assert baseline - honoured == {("fpl003_fpl004.py", number + 1, "FPL003")}
    cli, _ = cli_found(project)
    assert cli == honoured
    per_file, _ = flake8_found(
        project, "--select", "FPL", "--per-file-ignores", "fpl003_fpl004.py:FPL004", "."
    )
    assert per_file == {f for f in honoured if f[2] != "FPL004"}


def test_configuration_errors_are_reported_by_flake8(tmp_path: Path) -> None:
    project = _single(tmp_path, "fpl003_fpl004.py")
    (project / "pyproject.toml").write_text('[tool.fastapi-pool-lint]\nselct = ["FPL003"]\n')
    proc = run(["flake8", "--select", "FPL", "."], project)
    assert proc.returncode != 0
    assert "unknown key 'selct'" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_config_option_points_at_another_file(tmp_path: Path) -> None:
    project = _single(tmp_path, "fpl003_fpl004.py")
    config = tmp_path / "team.toml"
    config.write_text('[tool.fastapi-pool-lint]\nignore = ["FPL004"]\n')
    found, _ = flake8_found(
        project, "--select", "FPL", f"--fastapi-pool-lint-config={config}", "."
    )
    cli, _ = cli_found(project, "--config", str(config))
    assert found == cli
    assert found and {code for _, _, code in found} == {"FPL003"}


def test_plugin_codes_are_valid_for_flake8() -> None:
    # flake8 accepts at most three letters and three digits per code.
    assert FastAPIPoolLintChecker.name == "fastapi-pool-lint"
    from fastapi_pool_lint.rules import ALL_RULES

    assert all(len(rule.code) == 6 and rule.code.startswith("FPL") for rule in ALL_RULES)
