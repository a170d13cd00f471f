"""How deeply a source nests, measured before libcst's native parser sees it.

libcst's parser is recursive native code. Every bracket level costs it about 7 KB of stack;
every link of a chain of same-precedence operators (``a + b + c``, ``a.b.c``, ``f()()``,
``not not x``, ``a if b else c if d else e``, ``a or b``, ``"a" "b"``, ``for`` after ``for`` in a
comprehension, ``elif`` after ``elif``) about 1-2.5 KB (measured with libcst 1.9 on x86-64).
Deep enough input overflows the thread's stack, and a native stack overflow is a segmentation
fault: the process dies without a word. Most chains also cost quadratic time and memory (4,000
``a if b else`` links: 7 s and 2.7 GB; 4,000 subscripts ``[0]``: 19 s; 1,000 of either: under
0.7 s and 200 MB). :mod:`.parsing` therefore parses on a thread with a large stack
(:data:`WORST_CASE_STACK` with a margin) and first refuses, with a position, input that could
need more, or take long:

- more than :data:`MAX_LEVELS` nested brackets (an f-string replacement field counts as one);
  CPython itself refuses more than 200 nested parentheses, so no runnable file is refused;
- more than :data:`MAX_CHAIN` costly links open at one point: the operators of the chains that
  enclose it, one chain per precedence level (``a*b + c*d + ...`` is one ``+`` chain of short
  ``*`` chains), summed over the open brackets;
- more than :data:`MAX_LIGHT_CHAIN` cheap links (``and``, ``or``, comparisons, adjacent strings,
  comprehension ``for``, ``elif``): linear time, only the stack is at stake.

Generated code stays well inside (the longest chain in the standard library and a few hundred
packages, sympy's generated polynomials included, is 557 links). The scan is a small tokenizer
without recursion: strings and comments are skipped, f-strings (PEP 701 nesting included) are
followed into their replacement fields. Most files skip it: character counts already bound them.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Optional

MAX_LEVELS = 200
MAX_CHAIN = 1_000
MAX_LIGHT_CHAIN = 10_000

# The worst costs measured, with a margin; the parse thread's stack is sized from them.
BYTES_PER_LEVEL = 10 * 1024
BYTES_PER_LINK = 3 * 1024
BYTES_FOR_INDENTATION = 3 * 1024 * 1024  # libcst's tokenizer allows 100 indentation levels
WORST_CASE_STACK = (
    MAX_LEVELS * BYTES_PER_LEVEL
    + (MAX_CHAIN + MAX_LIGHT_CHAIN) * BYTES_PER_LINK
    + BYTES_FOR_INDENTATION
)

_QUOTE = r"'''|\"\"\"|'|\""
# Code tokens. A word is matched whole, with the quote that makes it a string prefix.
_CODE = re.compile(
    rf"""
      (?P<word>[^\W\d]\w*)(?P<prefixed>{_QUOTE})?
    | (?P<number>\.?\d(?:[\w.]|(?<=[eE])[-+])*)
    | (?P<quote>{_QUOTE})
    | (?P<comment>\#[^\r\n]*)
    | (?P<continuation>\\(?:\r\n|\r|\n))
    | (?P<newline>\r\n|\r|\n)
    | (?P<open>[(\[{{])
    | (?P<close>[)\]}}])
    | (?P<separator>[,;])
    | (?P<colon>:(?!=))
    | (?P<compare><=|>=|==|!=|<(?![<=])|>(?![>=]))
    | (?P<assign>(?:\*\*|//|>>|<<|[-+*/%@&|^])?=|->)
    | (?P<op>\*\*|//|<<|>>|:=|[-+*/%@&|^~.])
    """,
    re.VERBOSE,
)
# Binding strength of binary operators (higher binds tighter) and of prefix ones.
_BINARY = {
    ":=": 0, "if": 2, "else": 2, "or": 3, "and": 4,
    "in": 6, "is": 6, "not": 6, "<": 6, ">": 6, "<=": 6, ">=": 6, "==": 6, "!=": 6,
    "|": 7, "^": 8, "&": 9, "<<": 10, ">>": 10, "+": 11, "-": 11,
    "*": 12, "/": 12, "//": 12, "%": 12, "@": 12, "**": 14, ".": 16,
}  # fmt: skip
_PREFIX = {
    "yield": 0, "lambda": 1, "not": 5, "-": 13, "+": 13, "~": 13, "*": 13, "**": 13, "@": 13,
    "await": 15,
}  # fmt: skip
_TRAILER = 16
_CHEAP = frozenset({0, 3, 4, 6})  # yield, or, and, comparisons: linear in libcst
_HARD_KEYWORDS = frozenset(keyword.kwlist) - {"True", "False", "None"}
_STRING_PREFIX = re.compile(r"[rRbBuUfFtT]{1,3}")
_COSTLY_CHARACTERS = "+-*/%@&|^~.)]}:<>"
_COSTLY_KEYWORDS = re.compile(r"\b(?:not|if|else|lambda|await)\b")
_CHEAP_CHARACTERS = "<>=!'\""
_CHEAP_KEYWORDS = re.compile(r"\b(?:and|or|is|in|for|async|yield|elif)\b")
_SINGLE_END = r"(?:[^\\{q}\r\n]|\\(?:\r\n|.))*{q}"
_TRIPLE_END = r"(?:[^\\{q}]|\\.|{q}(?!{q}{q}))*{q}{q}{q}"
# The rest of a plain (not f/t) string literal after its opening quote.
_STRING_END = {
    quote: re.compile((_SINGLE_END if len(quote) == 1 else _TRIPLE_END).format(q=quote[0]), re.S)
    for quote in ("'", '"', "'" * 3, '"' * 3)
}
# Tokens of the literal text of an f-string or a format spec.
_LITERAL = re.compile(rf"\\(?:\r\n|.)|\{{\{{|\}}\}}|[{{}}]|{_QUOTE}|\r\n|\r|\n", re.DOTALL)
_NEWLINE = re.compile(r"\r\n|\r|\n")

# Frame kinds: code at the top level, in a bracket, in an f-string replacement field; the
# literal text of an f-string, of a format spec.
_TOP, _BRACKET, _FIELD, _FSTRING, _SPEC = range(5)


@dataclass(frozen=True)
class TooDeep:
    line: int  # 1-based
    column: int  # 1-based
    reason: str


@dataclass
class _Frame:
    kind: int
    quote: str = ""  # _FSTRING: its closing quote
    trailer: bool = False  # _BRACKET: a call or subscript (it follows an operand)
    chains: list[list[int]] = field(default_factory=list)  # open [precedence, links] chains
    costly: int = 0  # links in ``chains`` of costly precedences
    cheap: int = 0  # the other links in ``chains``, adjacent strings, comprehension ``for``s
    operand: bool = False  # the last token ends an operand (then ``-`` is binary)


class _Scan:
    """The open frames and the counts the limits are about."""

    def __init__(self) -> None:
        self.frames = [_Frame(_TOP)]
        self.levels = 0  # open _BRACKET and _FIELD frames
        self.costly = 0  # the sum over the frames
        self.cheap = 0  # the sum over the frames, and the elif chains
        self.elifs: dict[int, int] = {}  # top-level indentation -> elifs in a row there

    def push(self, kind: int, quote: str = "", trailer: bool = False) -> None:
        self.frames.append(_Frame(kind, quote, trailer))
        if kind in (_BRACKET, _FIELD):
            self.levels += 1

    def pop(self) -> _Frame:
        frame = self.frames.pop()
        self.costly -= frame.costly
        self.cheap -= frame.cheap
        if frame.kind in (_BRACKET, _FIELD, _SPEC):  # a spec replaced its field
            self.levels -= 1
        return frame

    def separate(self) -> None:
        """``,``, ``;``, ``=``, a new line: the chains of the frame end."""
        frame = self.frames[-1]
        self.costly -= frame.costly
        self.cheap -= frame.cheap
        frame.chains.clear()
        frame.costly = frame.cheap = 0
        frame.operand = False

    def end_chains(self) -> None:
        """A comprehension's ``for``: its element's chains end (the ``for`` chain goes on)."""
        frame = self.frames[-1]
        while frame.chains:
            precedence, links = frame.chains.pop()
            self._count(frame, precedence, -links)
        frame.operand = False

    def operator(self, precedence: int, prefix: bool) -> None:
        """One more link: a binary operator ends the tighter chains and extends its own."""
        frame = self.frames[-1]
        chains = frame.chains
        if not prefix:
            while chains and chains[-1][0] > precedence:
                ended, links = chains.pop()
                self._count(frame, ended, -links)
        if chains and chains[-1][0] == precedence:
            chains[-1][1] += 1
        else:
            chains.append([precedence, 1])
        self._count(frame, precedence, 1)
        frame.operand = False

    def cheap_link(self) -> None:
        self.frames[-1].cheap += 1
        self.cheap += 1

    def _count(self, frame: _Frame, precedence: int, links: int) -> None:
        if precedence in _CHEAP:
            frame.cheap += links
            self.cheap += links
        else:
            frame.costly += links
            self.costly += links

    def statement(self, indent: int, word: Optional[str]) -> None:
        """A top-level logical line starts: follow the ``elif`` chains it continues or ends."""
        elifs = self.elifs
        ended = [i for i in elifs if i > indent or (i == indent and word not in ("elif", "else"))]
        for other in ended:
            self.cheap -= elifs.pop(other)
        if word == "elif":
            elifs[indent] = elifs.get(indent, 0) + 1
            self.cheap += 1

    def exceeded(self) -> bool:
        return (
            self.levels > MAX_LEVELS or self.costly > MAX_CHAIN or self.cheap > MAX_LIGHT_CHAIN
        )

    def reason(self) -> str:
        if self.levels > MAX_LEVELS:
            return f"more than {MAX_LEVELS} nested brackets"
        if self.costly > MAX_CHAIN:
            return f"more than {MAX_CHAIN} operators chained in one expression"
        return f"more than {MAX_LIGHT_CHAIN} operands, strings or elifs chained together"


def _surely_shallow(text: str) -> bool:
    """An upper bound from character counts, true for most files: they need no scan."""
    if sum(text.count(c) for c in "([{") > MAX_LEVELS:
        return False
    costly = sum(text.count(c) for c in _COSTLY_CHARACTERS)
    if costly > MAX_CHAIN or costly + len(_COSTLY_KEYWORDS.findall(text)) > MAX_CHAIN:
        return False
    cheap = sum(text.count(c) for c in _CHEAP_CHARACTERS) + len(_CHEAP_KEYWORDS.findall(text))
    return cheap <= MAX_LIGHT_CHAIN


def find_too_deep(text: str) -> Optional[TooDeep]:
    """Where ``text`` first nests deeper than libcst can parse safely, or None."""
    if _surely_shallow(text):
        return None
    scan = _Scan()
    position = 0
    while position < len(text):
        if scan.frames[-1].kind in (_FSTRING, _SPEC):
            position = _literal_step(scan, text, position)
        else:
            position = _code_steps(scan, text, position)
        if scan.exceeded():
            breaks = list(_NEWLINE.finditer(text, 0, position - 1))
            start = breaks[-1].end() if breaks else 0
            return TooDeep(len(breaks) + 1, position - start, scan.reason())
    return None


def _code_steps(scan: _Scan, text: str, position: int) -> int:
    """Scan code until the frame changes or a limit is passed; returns where to go on."""
    frame = scan.frames[-1]
    line_start = position == 0
    line_begin = position
    for match in _CODE.finditer(text, position):
        group = match.lastgroup
        if group == "newline":
            if frame.kind == _TOP:
                scan.separate()
                line_start, line_begin = True, match.end()
            continue
        if group == "comment" or group == "continuation":
            continue
        word = match.group("word")
        if line_start:
            line_start = False
            scan.statement(match.start() - line_begin, word)
        if word is not None:  # lastgroup is "word", or "prefixed" when a quote follows
            quote = match.group("prefixed")
            if quote is not None:
                if not _STRING_PREFIX.fullmatch(word):
                    return match.end("word")  # a name, then a string: scan the string next
                return _string(scan, text, match.end(), quote, word.lower())
            if word == "for":  # a comprehension's element ends; nested for-chains go on
                scan.end_chains()
                scan.cheap_link()
            elif frame.operand and word in _BINARY:
                scan.operator(_BINARY[word], prefix=False)
            elif not frame.operand and word in _PREFIX:
                scan.operator(_PREFIX[word], prefix=True)
            else:
                frame.operand = word not in _HARD_KEYWORDS
        elif group == "number":
            frame.operand = True
        elif group == "quote":
            return _string(scan, text, match.end(), match.group(), "")
        elif group == "open":
            scan.push(_BRACKET, trailer=frame.operand)
            return match.end()
        elif group == "close":
            if frame.kind in (_BRACKET, _FIELD):
                closed = scan.pop()
                if closed.trailer:  # ``f(x)(y)``, ``a[0][1]``: calls and subscripts chain
                    scan.operator(_TRAILER, prefix=False)
                scan.frames[-1].operand = True
                return match.end()
        elif group == "separator" or group == "assign":
            scan.separate()
        elif group == "colon":
            frame.operand = False
            if frame.kind == _FIELD:  # the format spec of an f-string replacement field
                frame.kind = _SPEC
                return match.end()
        else:  # compare, op
            token = match.group()
            if frame.operand and token in _BINARY:
                scan.operator(_BINARY[token], prefix=False)
            else:
                scan.operator(_PREFIX.get(token, 13), prefix=True)
        if scan.exceeded():
            return match.end()
    return len(text)


def _string(scan: _Scan, text: str, position: int, quote: str, prefix: str) -> int:
    """After the opening quote of a literal: skip a plain one, enter an f/t-string."""
    scan.cheap_link()  # ``"a" "b"``: implicit concatenation chains
    scan.frames[-1].operand = True
    if "f" in prefix or "t" in prefix:
        scan.push(_FSTRING, quote)
        return position
    end = _STRING_END[quote].match(text, position)
    return position if end is None else end.end()  # unterminated: the parser will say so


def _literal_step(scan: _Scan, text: str, position: int) -> int:
    """One token of the literal text of an f-string or a format spec."""
    match = _LITERAL.search(text, position)
    if match is None:
        return len(text)
    token = match.group()
    frame = scan.frames[-1]
    if token == "{":
        scan.push(_FIELD)
    elif token == "}":
        if frame.kind == _SPEC:
            scan.pop()  # the spec ends its field
    elif frame.kind == _FSTRING and (
        token == frame.quote or (token[0] in "\r\n" and len(frame.quote) == 1)
    ):
        scan.pop()  # the end of the f-string (or of an unterminated one)
    return match.end()
