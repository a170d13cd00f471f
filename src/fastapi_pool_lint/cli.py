"""The ``fastapi-pool-lint`` command line.

Exit codes: 0 no findings, 1 findings, 2 usage error or a file that could not be analysed (the
other files are still checked and reported; 2 wins over 1).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Optional

import click

from . import __version__
from .config import Settings
from .discovery import DiscoveryError
from .fixing import exit_code as fix_exit_code
from .fixing import render_diff, render_report, run_fix
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


# --------------------------------------------------------------------------- fix
def fix_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options ``fix`` and ``check --fix`` share."""
    options = (
        click.option("--diff", is_flag=True, help="Print a unified diff, write nothing (exit 1 if "
                     "there would be changes)."),
        click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour."),
        click.option("--pool-timeout", type=click.IntRange(min=1), default=None, metavar="SECONDS",
                     help="The timeout FPL003's fix writes instead of None (default 30)."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _run_fix(paths: tuple[Path, ...], settings: Settings, cwd: Path, *, diff: bool,
             unsafe_fixes: bool, pool_timeout: Optional[int], report_to_stderr: bool) -> int:
    if pool_timeout is not None:
        settings = replace(settings, fix_pool_timeout=pool_timeout)
    try:
        run = run_fix(list(paths) or [Path(".")], settings, cwd, unsafe=unsafe_fixes, write=not diff)
    except DiscoveryError as problem:
        click.echo(f"fastapi-pool-lint: {problem}", err=True)
        return EXIT_ERROR
    for failure in run.result.errors:
        click.echo(f"{failure.path}: cannot parse: {failure.reason}", err=True)
    if diff:
        click.echo(render_diff(run), nl=False)
    click.echo(render_report(run, dry_run=diff), err=diff or report_to_stderr)
    return fix_exit_code(run, dry_run=diff)


@cli.command(name="fix")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, help="Only fix these rule codes (comma-separated, prefixes).")
@click.option("--ignore", multiple=True, help="Skip these rule codes (comma-separated, prefixes).")
@fix_options
def fix(paths: tuple[Path, ...], select: tuple[str, ...], ignore: tuple[str, ...],
        **fix_flags: Any) -> None:
    """Apply the automatic fixes to PATHS and print, per file, what was fixed and what was left.

    Exit codes: 0 nothing left, 1 findings left (with --diff: there would be changes), 2 error.
    """
    settings = Settings(select=_codes(select, "--select"), ignore=_codes(ignore, "--ignore") or frozenset())
    sys.exit(_run_fix(paths, settings, Path.cwd(), report_to_stderr=False, **fix_flags))


# --------------------------------------------------------------------------- check
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
@click.option("--fix", "apply_fix", is_flag=True, help="Apply fixes first, then report what is left.")
@fix_options
def check(
    paths: tuple[Path, ...],
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    quiet: bool,
    exit_zero: bool,
    apply_fix: bool,
    **fix_flags: Any,
) -> None:
    """Analyse PATHS (files or directories, default: the current directory)."""
    settings = Settings(
        select=_codes(select, "--select"),
        ignore=_codes(ignore, "--ignore") or frozenset(),
    )
    cwd = Path.cwd()
    if apply_fix or fix_flags["diff"]:
        code = _run_fix(paths, settings, cwd, report_to_stderr=True, **fix_flags)
        if fix_flags["diff"] or code == EXIT_ERROR:
            sys.exit(code)
    settings = replace(settings, plan_fixes=output_format != "text")  # text shows no edits
    try:
        result = run_check(list(paths) or [Path(".")], settings, cwd)
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
