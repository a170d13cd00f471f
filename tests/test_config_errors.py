"""Bad configuration (issue 7) through every front door: the message names the file and the
key (or the option), the exit code is 2 (flake8: its own failure line), nothing is analysed or
written, no traceback. ``test_settings_loader`` checks each key's validation in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from .badinput_helpers import assert_no_traceback, lint, project, snapshot
from .frontdoor_helpers import BIN, run

TABLE = "[tool.fastapi-pool-lint]\n"
FILE_CASES = {
    "malformed-toml": (
        "[tool.fastapi-pool-lint\nselect = []\n",
        "invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 24)",
    ),
    "not-utf-8": (
        TABLE + 'select = ["FPL\xff"]\n',
        "invalid TOML: byte 0xff at line 2, column 15 is not UTF-8",
    ),
    "unknown-key": (TABLE + 'selekt = ["FPL001"]\n', "unknown key 'selekt' in [tool.fastapi-pool-lint]; did you mean 'select'?"),
    "wrong-type": (TABLE + 'max-helper-depth = "6"\n', "[tool.fastapi-pool-lint] max-helper-depth must be an integer from 0 to 50, got '6'"),
    "table-is-a-value": ("[tool]\nfastapi-pool-lint = 3\n", "[tool.fastapi-pool-lint] must be a table"),
    "unknown-code-in-select": (
        TABLE + 'select = ["FPL009"]\n',
        "[tool.fastapi-pool-lint] select: unknown rule code 'FPL009' (known: FPL001, FPL002, FPL003, FPL004)",
    ),
    "unknown-code-in-ignore": (
        TABLE + 'ignore = ["E501"]\n',
        "[tool.fastapi-pool-lint] ignore: unknown rule code 'E501' (known: FPL001, FPL002, FPL003, FPL004)",
    ),
}


def _write_config(root: Path, body: str) -> Path:
    config = root / "pyproject.toml"
    config.write_bytes(body.encode("latin-1"))
    return config


@pytest.mark.parametrize("command", ["check", "fix"])
@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_a_bad_configuration_file(tmp_path: Path, case: str, command: str) -> None:
    body, message = FILE_CASES[case]
    root = project(tmp_path)
    config = _write_config(root, body)
    before = snapshot(root)
    proc = lint(root, command, "--no-cache" if command == "check" else "--diff")
    assert_no_traceback(proc)
    assert proc.returncode == 2
    assert f"fastapi-pool-lint: {config.resolve()}: {message}" in proc.stderr.splitlines()
    assert proc.stdout == ""  # nothing analysed, nothing reported
    assert snapshot(root) == before


@pytest.mark.parametrize("case", ["malformed-toml", "unknown-key"])
def test_a_bad_configuration_file_in_flake8(tmp_path: Path, case: str) -> None:
    body, message = FILE_CASES[case]
    root = project(tmp_path)
    config = _write_config(root, body)
    before = snapshot(root)
    proc = run([str(BIN / "flake8"), "--select", "FPL", "."], root)
    assert_no_traceback(proc)
    assert proc.returncode == 1
    assert '"fastapi-pool-lint[FPL]" failed during execution' in proc.stdout
    assert f"{config.resolve()}: {message}" in proc.stdout
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("args", "option", "code"),
    [
        (["check", "--select", "FPL001,FPL999"], "--select", "FPL999"),
        (["check", "--ignore", "XYZ"], "--ignore", "XYZ"),
        (["check", "--extend-select", "FPL5"], "--extend-select", "FPL5"),
        (["fix", "--select", "F401"], "--select", "F401"),
        (["fix", "--ignore", "FPL0011"], "--ignore", "FPL0011"),
    ],
)
def test_unknown_rule_codes_on_the_command_line(
    tmp_path: Path, args: list[str], option: str, code: str
) -> None:
    root = project(tmp_path)
    before = snapshot(root)
    proc = lint(root, *args)
    assert_no_traceback(proc)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        f"Error: Invalid value for {option}: unknown rule code {code!r} "
        "(known: FPL001, FPL002, FPL003, FPL004)"
    )
    assert snapshot(root) == before


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_config_option_naming_a_missing_file(tmp_path: Path, command: str) -> None:
    root = project(tmp_path)
    before = snapshot(root)
    proc = lint(root, command, "--config", "team.toml")
    assert_no_traceback(proc)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["fastapi-pool-lint: team.toml: configuration file not found"]
    assert snapshot(root) == before
