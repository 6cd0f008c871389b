"""Setting a section's Yjs document back to a version's text as a new edit: the update that, applied to the
current state, makes the text that of the version. Stored updates are never rewritten: the update is appended
like an editor's, and reaches open pages like one. pycrdt, no I/O.

Top-level blocks equal in both (same element, attributes, text and marks) are kept, so editors' carets in them
stay put; the others are deleted and the version's blocks inserted, copied with their attributes and marks.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any, cast

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from services.reports.yjs_text import FRAGMENT

Node = XmlElement | XmlText | XmlFragment


def _insert_copy(children: Any, index: int, node: Node) -> None:
    """Insert into `children` (an integrated element's or fragment's) a copy of another document's `node`."""
    if isinstance(node, XmlText):
        text = children.insert(index, XmlText())
        for chunk, attributes in node.diff():
            # The text is filled after it is integrated: formatting (TipTap's marks) needs an integrated text.
            text.insert(len(text), str(chunk), dict(attributes) if attributes else None)
    elif isinstance(node, XmlElement):
        # pycrdt's attributes view iterates as (name, value) pairs; its typing does not say so.
        pairs: list[tuple[str, Any]] = list(cast(Any, node.attributes))
        element = children.insert(index, XmlElement(node.tag, pairs))
        for position, child in enumerate(node.children):
            _insert_copy(element.children, position, child)


def restoring_update(current: bytes, version: bytes) -> bytes | None:
    """The update that turns the section's `current` state into the `version`'s text; None when the two read
    the same already (nothing to append)."""
    doc: Doc = Doc()
    doc.apply_update(current)
    wanted: Doc = Doc()
    wanted.apply_update(version)
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    target = list(wanted.get(FRAGMENT, type=XmlFragment).children)
    have = [str(child) for child in fragment.children]
    want = [str(child) for child in target]
    if have == want:
        return None
    before = doc.get_state()
    opcodes = SequenceMatcher(None, have, want, autojunk=False).get_opcodes()
    with doc.transaction():
        # From the end, so the positions of the blocks not yet reached stay as the matcher found them.
        for tag, i1, i2, j1, j2 in reversed(opcodes):
            if tag == "equal":
                continue
            for index in reversed(range(i1, i2)):
                del fragment.children[index]
            for offset, j in enumerate(range(j1, j2)):
                _insert_copy(fragment.children, i1 + offset, target[j])
    return doc.get_update(before)
