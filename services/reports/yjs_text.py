"""A section's text as a Yjs document (pycrdt): checking an update, merging updates into one, and reading the
text as blocks. The editor in the page (TipTap with its Collaboration extension) keeps the text in the XML
fragment named "default": paragraphs, headings, lists and quotations as elements, text inside them.
No I/O.
"""

from __future__ import annotations

import base64
import binascii

from pycrdt import Doc, XmlElement, XmlFragment, XmlText, merge_updates

from services.kernel.errors import InvalidRequest
from services.reports.contract import TextBlock

FRAGMENT = "default"
# An empty Yjs document's update: nothing inserted, nothing deleted.
EMPTY = Doc().get_update()


def decoded(updates_base64: list[str]) -> list[bytes]:
    """The updates' bytes, each checked to be a Yjs update (applied to a scratch document); InvalidRequest
    naming the first that is not, so that nothing of a bad batch is kept."""
    updates = []
    for index, text in enumerate(updates_base64):
        try:
            update = base64.b64decode(text, validate=True)
            Doc().apply_update(update)
        except (binascii.Error, ValueError, RuntimeError):
            raise InvalidRequest(
                "The updates have problems",
                problems=[{"field": f"updates_base64.{index}", "message": "This is not a Yjs update"}],
            ) from None
        updates.append(update)
    return updates


def merged(updates: list[bytes]) -> bytes:
    """One update holding all of them (the empty document's for none)."""
    if not updates:
        return EMPTY
    if len(updates) == 1:
        return updates[0]
    return bytes(merge_updates(*updates))


def _text_of(node: XmlText | XmlElement | XmlFragment) -> str:
    if isinstance(node, XmlText):
        return "".join(str(chunk) for chunk, _ in node.diff())
    return "".join(_text_of(child) for child in node.children)


def _blocks_of(element: XmlElement, into: list[TextBlock]) -> None:
    tag = element.tag or ""
    if tag in ("bulletList", "orderedList"):
        for item in element.children:
            if isinstance(item, XmlElement):
                into.append(TextBlock(kind="list_item", text=_text_of(item).strip()))
    elif tag == "blockquote":
        into.append(TextBlock(kind="quote", text=_text_of(element).strip()))
    elif tag == "heading":
        level = element.attributes.get("level")
        into.append(TextBlock(kind="heading", text=_text_of(element), level=int(level or 2)))
    elif tag == "codeBlock":
        into.append(TextBlock(kind="code", text=_text_of(element)))
    else:
        into.append(TextBlock(kind="paragraph", text=_text_of(element)))


def blocks(state: bytes) -> list[TextBlock]:
    """The section's text as blocks, in order; empty paragraphs left out."""
    doc: Doc = Doc()
    doc.apply_update(state)
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    found: list[TextBlock] = []
    for child in fragment.children:
        if isinstance(child, XmlElement):
            _blocks_of(child, found)
        elif isinstance(child, XmlText):
            found.append(TextBlock(kind="paragraph", text=_text_of(child)))
    return [block for block in found if block.text.strip()]
