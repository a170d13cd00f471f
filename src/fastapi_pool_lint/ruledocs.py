"""Render a rule's documentation record as Markdown: ``rule CODE`` and ``docs/rules/CODE.md``."""

from __future__ import annotations

from .rules import Rule


def _code_block(text: str) -> str:
    return f"```python\n{text.rstrip()}\n```"


def render_markdown(rule: Rule) -> str:
    doc = rule.doc
    references = "\n".join(f"- <{url}>" for url in doc.references)
    return (
        f"# {rule.code}: {rule.name}\n\n"
        f"{rule.summary}. Severity: {rule.severity}.\n\n"
        f"## What it does\n\n{doc.what_it_does}\n\n"
        f"## Why is this bad?\n\n{doc.why_is_this_bad}\n\n"
        f"## Example\n\n{_code_block(doc.example)}\n\n"
        f"## Use instead\n\n{_code_block(doc.use_instead)}\n\n{doc.use_instead_note}\n\n"
        f"## Fix safety\n\n{doc.fix_safety}\n\n"
        f"## References\n\n{references}\n"
    )
