"""Per-module summaries: the only thing later stages know about a module's source."""
