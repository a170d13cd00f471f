"""docs/index.md: every ``sh`` block runs, in order, in one directory, and every ``text`` block
that follows one is what it prints (finding lines compared up to their rule code)."""

from __future__ import annotations

import re
from pathlib import Path

from .frontdoor_helpers import BIN, env

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "docs" / "index.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FINDING = re.compile(r"^(\S+:\d+:\d+: FPL\d{3}) ")


def _normalise(output: str) -> list[str]:
    out = []
    for line in output.strip().splitlines():
        match = FINDING.match(line)
        out.append(match.group(1) if match else line.rstrip())
    return out


def _examples() -> list[tuple[str, str | None]]:
    blocks = [(m.group(1), m.group(2)) for m in BLOCK.finditer(INDEX.read_text(encoding="utf-8"))]
    examples: list[tuple[str, str | None]] = []
    for index, (kind, body) in enumerate(blocks):
        if kind != "sh":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        expected = following[1] if following and following[0] == "text" else None
        examples.append((body, expected))
    return examples


def test_index_has_an_example_per_front_door() -> None:
    commands = " ".join(body for body, _ in _examples())
    for front_door in ("fastapi-pool-lint check", "flake8 --select FPL", "pre-commit try-repo", "fastapi-pool-lint fix"):
        assert front_door in commands


def test_index_examples_run(tmp_path: Path) -> None:
    import subprocess

    has_fix = subprocess.run(
        [str(BIN / "fastapi-pool-lint"), "fix", "--help"], capture_output=True, check=False
    ).returncode == 0
    variables = {
        **env(),
        "FASTAPI_POOL_LINT_REPO": str(REPO),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "docs",
        "GIT_AUTHOR_EMAIL": "docs@example.com",
        "GIT_COMMITTER_NAME": "docs",
        "GIT_COMMITTER_EMAIL": "docs@example.com",
    }
    shop = tmp_path / "shop"
    shop.mkdir()
    ran = 0
    for body, expected in _examples():
        if body.startswith("fastapi-pool-lint fix") and not has_fix:
            continue
        proc = subprocess.run(
            ["bash", "-c", body], cwd=shop, capture_output=True, text=True, env=variables,
            timeout=900, check=False,
        )
        assert proc.returncode in (0, 1), f"{body}\n{proc.stdout}\n{proc.stderr}"
        if expected is not None:
            assert _normalise(proc.stdout) == _normalise(expected), body
        ran += 1
    # Every example ran; the autofix one only where this build has the fix command.
    assert ran == len(_examples()) - (0 if has_fix else 1)
