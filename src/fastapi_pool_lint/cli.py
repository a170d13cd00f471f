"""The ``fastapi-pool-lint`` command line.

Exit codes: 0 no findings, 1 findings, 2 usage error or a file that could not be analysed (the
other files are still checked and reported; 2 wins over 1).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from . import __version__
from .config import Settings
from .discovery import DiscoveryError, find_project_root
from .parallel import default_jobs
from .pipeline import run_check
from .report.json_report import render_json
from .report.text import render_summary, render_text
from .ruledocs import render_markdown
from .rules import ALL_RULES, RULES_BY_CODE

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def _codes(values: tuple[str, ...], option: str) -> Optional[frozenset[str]]:
    """Parse ``--select FPL001,FPL002`` (repeatable); prefixes such as ``FPL00`` are allowed."""
    if not values:
        return None
    codes: set[str] = set()
    for value in values:
        for item in value.split(","):
            code = item.strip().upper()
            if not code:
                continue
            if code == "ALL":
                code = "FPL"
            if not any(rule.code.startswith(code) for rule in ALL_RULES):
                known = ", ".join(rule.code for rule in ALL_RULES)
                raise click.BadParameter(f"unknown rule code {item.strip()!r} (known: {known})",
                                         param_hint=option)
            codes.add(code)
    return frozenset(codes)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastapi-pool-lint")
def cli() -> None:
    """Find FastAPI + SQLAlchemy patterns that exhaust connection pools or block the event loop."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--select", multiple=True, help="Only these rule codes (comma-separated, prefixes).")
@click.option("--ignore", multiple=True, help="Skip these rule codes (comma-separated, prefixes).")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary line.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    help="Worker processes for parsing (default 0: one per CPU).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write .fastapi_pool_lint_cache/.")
def check(
    paths: tuple[Path, ...],
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    quiet: bool,
    exit_zero: bool,
    jobs: int,
    no_cache: bool,
) -> None:
    """Analyse PATHS (files or directories, default: the current directory)."""
    settings = Settings(
        select=_codes(select, "--select"),
        ignore=_codes(ignore, "--ignore") or frozenset(),
    )
    cwd = Path.cwd()
    try:
        result = run_check(
            list(paths) or [Path(".")],
            settings,
            cwd,
            jobs=jobs or default_jobs(),
            cache=not no_cache,
        )
    except DiscoveryError as problem:
        click.echo(f"fastapi-pool-lint: {problem}", err=True)
        sys.exit(EXIT_ERROR)
    for failure in result.errors:
        click.echo(f"{failure.path}: cannot parse: {failure.reason}", err=True)
    if output_format == "json":
        click.echo(render_json(result.findings))
    else:
        if result.findings:
            click.echo(render_text(result.findings, color=sys.stdout.isatty()))
        if not quiet:
            click.echo(render_summary(result.findings, result.files_checked))
    if result.errors:
        sys.exit(EXIT_ERROR)
    if result.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


@cli.group(name="cache")
def cache_group() -> None:
    """Manage the analysis cache (.fastapi_pool_lint_cache/ in the project root)."""


@cache_group.command(name="clean")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def cache_clean(path: Optional[Path]) -> None:
    """Remove the cache of the project holding PATH (default: the current directory)."""
    from .cache import CACHE_DIR_NAME, clean

    start = (path or Path(".")).resolve()
    if not start.exists():
        raise click.BadParameter(f"{path}: no such file or directory", param_hint="PATH")
    root = find_project_root([start])
    removed = clean(root)
    where = root / CACHE_DIR_NAME
    click.echo(f"removed {where}" if removed else f"no cache at {where}")


@cli.command(name="rules")
def list_rules() -> None:
    """List the rules with one-line summaries."""
    for rule in ALL_RULES:
        click.echo(f"{rule.code}  {rule.name:36s} {rule.summary}")


@cli.command(name="rule")
@click.argument("code")
def show_rule(code: str) -> None:
    """Show the documentation of rule CODE."""
    rule = RULES_BY_CODE.get(code.strip().upper())
    if rule is None:
        known = ", ".join(RULES_BY_CODE)
        raise click.BadParameter(f"unknown rule code {code!r} (known: {known})", param_hint="CODE")
    click.echo(render_markdown(rule))


def main() -> None:
    try:
        cli(prog_name="fastapi-pool-lint")
    except KeyboardInterrupt:
        click.echo("fastapi-pool-lint: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # a bug in the linter must not look like a finding
        click.echo(
            f"fastapi-pool-lint: internal error: {type(error).__name__}: {error}\n"
            "Please report it with the file that triggers it.",
            err=True,
        )
        sys.exit(EXIT_ERROR)
