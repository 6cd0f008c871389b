"""A readable difference between two texts of a section (each a list of blocks): which blocks were added,
removed or changed, and within a changed block which words were inserted and deleted. Pure Python (difflib).

Blocks are matched in order; a block of the earlier text that has no equal in the later one is "changed"
when a block of the same kind among those in its place shares enough of its words, otherwise it was removed
(and the later one added). Words are compared as words, spaces and punctuation, so a change reads as whole
words.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from services.reports.contract import BlockDifference, TextBlock, WordChange

# How much of two blocks' words must agree for one to read as the other changed, not removed and added.
SIMILAR = 0.5
# Words (with their apostrophes, straight or curly, and hyphens), runs of space, and each other character.
_TOKENS = re.compile("\\s+|[\\w'\u2019-]+|[^\\w\\s]")


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _runs(changes: list[WordChange]) -> list[WordChange]:
    """Adjacent runs of the same change joined into one."""
    joined: list[WordChange] = []
    for change in changes:
        if not change.text:
            continue
        if joined and joined[-1].change == change.change:
            joined[-1] = WordChange(change=change.change, text=joined[-1].text + change.text)
        else:
            joined.append(change)
    return joined


def words(earlier: str, later: str) -> list[WordChange]:
    """The later text with the words deleted from the earlier one and those inserted marked, in reading
    order (a deletion before the insertion that replaces it)."""
    before, after = _tokens(earlier), _tokens(later)
    changes: list[WordChange] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            changes.append(WordChange(change="same", text="".join(before[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            changes.append(WordChange(change="deleted", text="".join(before[i1:i2])))
        if tag in ("insert", "replace"):
            changes.append(WordChange(change="inserted", text="".join(after[j1:j2])))
    return _runs(changes)


def _similarity(a: TextBlock, b: TextBlock) -> float:
    if a.kind != b.kind:
        return 0.0
    return SequenceMatcher(None, _tokens(a.text), _tokens(b.text), autojunk=False).ratio()


def _same(block: TextBlock) -> BlockDifference:
    return BlockDifference(
        change="same", kind=block.kind, level=block.level, words=[WordChange(change="same", text=block.text)]
    )


def _added(block: TextBlock) -> BlockDifference:
    return BlockDifference(
        change="added",
        kind=block.kind,
        level=block.level,
        words=[WordChange(change="inserted", text=block.text)],
    )


def _removed(block: TextBlock) -> BlockDifference:
    return BlockDifference(
        change="removed",
        kind=block.kind,
        level=block.level,
        words=[WordChange(change="deleted", text=block.text)],
    )


def _changed(earlier: TextBlock, later: TextBlock) -> BlockDifference:
    return BlockDifference(
        change="changed", kind=later.kind, level=later.level, words=words(earlier.text, later.text)
    )


def _replaced(earlier: list[TextBlock], later: list[TextBlock]) -> list[BlockDifference]:
    """Blocks of the earlier text replaced by those of the later, paired in order where they are similar."""
    found: list[BlockDifference] = []
    start = 0
    for old in earlier:
        match = next(
            (j for j in range(start, len(later)) if _similarity(old, later[j]) >= SIMILAR),
            None,
        )
        if match is None:
            found.append(_removed(old))
            continue
        found.extend(_added(new) for new in later[start:match])
        found.append(_changed(old, later[match]))
        start = match + 1
    found.extend(_added(new) for new in later[start:])
    return found


def blocks(earlier: list[TextBlock], later: list[TextBlock]) -> list[BlockDifference]:
    """Every block of both texts, in reading order, each the same, added, removed or changed."""

    def key(block: TextBlock) -> tuple[str, int | None, str]:
        return (block.kind, block.level, block.text)

    matcher = SequenceMatcher(None, [key(b) for b in earlier], [key(b) for b in later], autojunk=False)
    found: list[BlockDifference] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            found.extend(_same(block) for block in later[j1:j2])
        elif tag == "delete":
            found.extend(_removed(block) for block in earlier[i1:i2])
        elif tag == "insert":
            found.extend(_added(block) for block in later[j1:j2])
        else:
            found.extend(_replaced(earlier[i1:i2], later[j1:j2]))
    return found


def changed(differences: list[BlockDifference]) -> bool:
    """Whether anything differs."""
    return any(block.change != "same" for block in differences)
