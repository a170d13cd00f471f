"""The per-module calls of the last run, kept in the cache between runs (see ``model/callgraph.py``).

One entry per *layout*: which modules there are, their names and places (everything that decides
how names resolve across modules) and the configured ``session-factories``. It maps every module
to its file key when evaluated, the modules its evaluation read, and its calls as stored bytes.
A run takes the calls of every module that neither changed nor read a module that changed, and
stores the new state when it evaluated any module; reused modules keep their bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from .cache import Cache, digest, dumps, loads
from .discovery import SourceFile

if TYPE_CHECKING:
    from .model.analysis import ProjectAnalysis
    from .model.callgraph import ModuleCalls
    from .model.project import ProjectModel

_Entry = tuple[str, Optional[frozenset[str]], bytes]  # file key, modules read, stored calls


def layout_key(project: ProjectModel, sources: Sequence[SourceFile], factories: frozenset[str]) -> str:
    """The key of a project's per-module calls: not the modules' contents (each module's entry
    carries its own file key), only what decides how names resolve across them."""
    parts = [b"calls", ",".join(sorted(factories)).encode()]
    parts.extend(source.place() for source in sources if source.display in project.modules)
    return digest(*parts)


@dataclass
class KnownCalls:
    """What the last run with the same layout left of its per-module calls, and where to keep
    this run's."""

    store: Optional[Cache] = None
    key: str = ""
    keys: Mapping[str, str] = field(default_factory=dict)  # module -> file key, now
    calls: dict[str, ModuleCalls] = field(default_factory=dict)  # the modules whose calls hold
    blobs: dict[str, bytes] = field(default_factory=dict)  # their stored bytes

    @classmethod
    def load(
        cls,
        store: Optional[Cache],
        project: ProjectModel,
        sources: Sequence[SourceFile],
        keys: Mapping[str, str],
        factories: frozenset[str] = frozenset(),
    ) -> KnownCalls:
        """The modules whose stored calls still hold: neither they nor any module their
        evaluation read has changed since."""
        if store is None:
            return cls()
        from .model.callgraph import ModuleCalls, reusable

        known = cls(store, layout_key(project, sources, factories), keys)
        previous = store.get("calls", known.key)
        if not isinstance(previous, dict):
            return known
        entries: dict[str, _Entry] = {}
        for module, entry in previous.items():
            if (
                isinstance(module, str)
                and isinstance(entry, tuple)
                and len(entry) == 3
                and isinstance(entry[0], str)
                and (entry[1] is None or isinstance(entry[1], frozenset))
                and isinstance(entry[2], bytes)
            ):
                entries[module] = entry
        for module in sorted(reusable({m: (e[0], e[1]) for m, e in entries.items()}, keys)):
            _, reads, blob = entries[module]
            data = loads(blob)
            if isinstance(data, tuple) and len(data) == 2 and all(isinstance(d, tuple) for d in data):
                known.calls[module] = ModuleCalls(data[0], data[1], reads)
                known.blobs[module] = blob
        return known

    def keep(self, analysis: ProjectAnalysis) -> int:
        """Store every module's calls when this run evaluated any; how many were reused."""
        calls = analysis.__dict__.get("calls")  # only if the rules built the call graph
        if calls is None:
            return 0
        reused = len(calls.modules) - len(calls.computed)
        if self.store is None or not calls.computed:
            return reused
        computed = set(calls.computed)
        state: dict[str, _Entry] = {}
        for module, found in calls.modules.items():
            if module not in self.keys:
                continue
            blob = self.blobs.get(module) if module not in computed else None
            if blob is None:
                blob = dumps((found.callees, found.targets))
            state[module] = (self.keys[module], found.reads, blob)
        self.store.put("calls", self.key, state)
        return reused
