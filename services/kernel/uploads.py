"""The one checker for uploaded documents: meeting papers, action evidence, report attachments.

A file is judged by what it is, not by its name: its first bytes say which kind it claims to be, and a real
parse of that kind proves it (a PDF's objects are read, a Word document, workbook or OpenDocument text is
opened, an image is decoded). Refused, with every reason at once: an empty or oversize file, a program or
script (renamed or not), a kind not accepted, a name that says another kind, a PDF with JavaScript, launch
actions or attached files, an Office file with macros, an encrypted or password-protected file, a damaged
one, and an archive that would unpack far beyond its size.

    checked = check_upload(content, "minutes.pdf")   # CheckedFile(kind=FileKind.PDF, ...)

`FileRefused` (an InvalidRequest: HTTP 422) carries one problem per reason, in words a user can act on; no
problem quotes the file's content.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from services.kernel.errors import InvalidRequest

log = logging.getLogger(__name__)

MB: Final = 1024 * 1024
# A meeting paper or a piece of evidence: 20 MB is well above a long report with pictures.
DEFAULT_MAX_BYTES: Final = 20 * MB
# An Office or OpenDocument file is a zip: what it may unpack to, how many parts, how tightly packed.
MAX_UNPACKED: Final = 200 * MB
MAX_PARTS: Final = 5_000
MAX_PACKING_RATIO: Final = 200
# A PDF with more objects than this is not read through (a real paper has a few thousand).
MAX_PDF_OBJECTS: Final = 250_000
MAX_IMAGE_PIXELS: Final = 100_000_000
MAX_FILENAME: Final = 150


class FileKind(StrEnum):
    """A kind of document the checker knows, by its content."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    ODT = "odt"
    PNG = "png"
    JPEG = "jpeg"

    @property
    def media_type(self) -> str:
        """The MIME type the file is served with."""
        return _MEDIA_TYPES[self]

    @property
    def label(self) -> str:
        """The kind in a user's words."""
        return _LABELS[self]

    @property
    def extensions(self) -> tuple[str, ...]:
        """The file-name endings that say this kind (the first is the usual one)."""
        return _EXTENSIONS[self]


_MEDIA_TYPES: Final = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.ODT: "application/vnd.oasis.opendocument.text",
    FileKind.PNG: "image/png",
    FileKind.JPEG: "image/jpeg",
}
_LABELS: Final = {
    FileKind.PDF: "a PDF",
    FileKind.DOCX: "a Word document (DOCX)",
    FileKind.XLSX: "an Excel workbook (XLSX)",
    FileKind.ODT: "an OpenDocument text (ODT)",
    FileKind.PNG: "a PNG image",
    FileKind.JPEG: "a JPEG image",
}
_EXTENSIONS: Final = {
    FileKind.PDF: (".pdf",),
    FileKind.DOCX: (".docx",),
    FileKind.XLSX: (".xlsx",),
    FileKind.ODT: (".odt",),
    FileKind.PNG: (".png",),
    FileKind.JPEG: (".jpg", ".jpeg"),
}
DOCUMENT_KINDS: Final = frozenset(FileKind)


@dataclass(frozen=True)
class CheckedFile:
    """A file the checker accepted: what it is by content, its size, its digest and a name safe to serve."""

    kind: FileKind
    media_type: str
    size_bytes: int
    sha256: str
    filename: str


class FileRefused(InvalidRequest):
    """An uploaded file that is not accepted; `problems` lists every reason (field "file")."""


def check_upload(
    content: bytes,
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    accepted: Collection[FileKind] = DOCUMENT_KINDS,
) -> CheckedFile:
    """The file as a CheckedFile, or FileRefused listing every problem found (nothing about it is kept)."""
    name = safe_filename(filename)
    problems: list[str] = []
    size = len(content)
    if size == 0:
        raise _refused(name, ["the file is empty: choose the document itself"])
    if size > max_bytes:
        problems.append(
            f"the file is {_megabytes(size)}; the limit is {_megabytes(max_bytes)}: make it smaller "
            "(compress its pictures, or split it)"
        )
    sniffed = sniff(content)
    if not isinstance(sniffed, FileKind):  # a FileKind is a str too: ask for the kind, not the reason
        problems.append(sniffed)
        raise _refused(name, problems)
    kind = sniffed
    if kind not in accepted:
        problems.append(f"it is {kind.label}, which is not accepted here: {_accepted_words(accepted)}")
    problems.extend(_name_problems(name, kind))
    if size <= max_bytes:
        # Only a file within the limit is opened: the parse is the costly part.
        problems.extend(_PARSERS[kind](content))
    if problems:
        raise _refused(name, problems)
    return CheckedFile(
        kind=kind,
        media_type=kind.media_type,
        size_bytes=size,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=name,
    )


def safe_filename(filename: str) -> str:
    """A file's name without any folder, control characters or quotes, short enough to show and serve."""
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = "".join(
        " " if unicodedata.category(char).startswith(("C", "Z")) else char
        for char in unicodedata.normalize("NFC", base)
        if char not in '"<>:|?*;'
    )
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .") or "document"
    if len(cleaned) > MAX_FILENAME:
        stem, dot, ending = cleaned.rpartition(".")
        cleaned = (
            (stem[: MAX_FILENAME - len(ending) - 1] + dot + ending)
            if dot and len(ending) < 8
            else (cleaned[:MAX_FILENAME])
        )
    return cleaned


# -- what the first bytes say --------------------------------------------------------------------------------

_PROGRAMS: Final = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xfe\xed\xfa\xce", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"#!", "a script"),
    (b"dex\n", "an Android program"),
)
_OLE: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SCRIPT_START: Final = re.compile(
    rb"^\s*(?:<\?php|<script|<html|<!doctype html|@echo|#!|function\s|var\s|const\s|import\s|param\s*\(|"
    rb"powershell|set\s+\w+=|on error resume|dim\s|sub\s|<\?xml)",
    re.IGNORECASE,
)


def sniff(content: bytes) -> FileKind | str:
    """The kind the file's first bytes claim, or why it is none of the kinds accepted."""
    head = content[:1024]
    for magic, what in _PROGRAMS:
        if head.startswith(magic):
            return f"it is {what}, not a document: programs and scripts are never accepted"
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    if head.startswith(_OLE):
        return (
            "it is a password-protected Office file, or one in the old format (.doc, .xls): remove the "
            "password, or save it as DOCX or XLSX"
        )
    if _SCRIPT_START.match(head.lstrip(b"\xef\xbb\xbf")):
        return "it is a script or web page, not a document: scripts are never accepted"
    return (
        "its content is not a PDF, Word document (DOCX), Excel workbook (XLSX), OpenDocument text (ODT), "
        "PNG or JPEG image, whatever its name says"
    )


def _zip_kind(content: bytes) -> FileKind | str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return "it is a damaged zip file: it cannot be opened"
    if "word/document.xml" in names:
        return FileKind.DOCX
    if "xl/workbook.xml" in names:
        return FileKind.XLSX
    if mimetype.strip() == b"application/vnd.oasis.opendocument.text":
        return FileKind.ODT
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "it is an OpenDocument file other than text: save it as an OpenDocument text (ODT) or a PDF"
    if any(name.startswith("ppt/") for name in names):
        return "it is a PowerPoint presentation: save it as a PDF"
    return "it is a zip archive, not a document: upload each document on its own"


# -- what the name says --------------------------------------------------------------------------------------


def _name_problems(name: str, kind: FileKind) -> list[str]:
    ending = "." + name.rpartition(".")[2].lower() if "." in name else ""
    if ending in kind.extensions:
        return []
    if not ending:
        return [f"its name has no ending: it is {kind.label}, so name it …{kind.extensions[0]}"]
    return [f"its name ends {ending} but it is {kind.label}: name it …{kind.extensions[0]}"]


# -- a real parse of each kind -------------------------------------------------------------------------------


def _pdf_problems(content: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                return ["it is encrypted or password-protected: save a copy without a password"]
            if len(reader.pages) == 0:
                return ["it is a PDF without any page"]
            numbers = {number for by_number in reader.xref.values() for number in by_number}
            numbers |= set(reader.xref_objStm)
            if len(numbers) > MAX_PDF_OBJECTS:
                return [f"it holds over {MAX_PDF_OBJECTS:,} objects, which no paper needs: print it to PDF"]
            found: set[str] = set()

            def look(value: object, depth: int = 0) -> None:
                if depth > 8 or isinstance(value, IndirectObject):
                    return  # every indirect object is looked at on its own
                if isinstance(value, DictionaryObject):
                    for key, item in value.items():
                        if key in ("/JS", "/JavaScript") or (
                            key == "/S" and isinstance(item, NameObject) and item == "/JavaScript"
                        ):
                            found.add("javascript")
                        elif key == "/Launch" or (key == "/S" and item == "/Launch"):
                            found.add("launch")
                        elif key in ("/EmbeddedFile", "/EmbeddedFiles") or (
                            key == "/Type" and item == "/EmbeddedFile"
                        ):
                            found.add("attachment")
                        look(item, depth + 1)
                elif isinstance(value, ArrayObject):
                    for item in value:
                        look(item, depth + 1)

            look(reader.trailer)
            for number in numbers:
                look(reader.get_object(number))
    except Exception:  # a damaged PDF fails inside the reader in many ways
        log.info("a PDF could not be read", exc_info=True)
        return ["it is a damaged PDF: it cannot be read (save or print it to PDF again)"]
    words = {
        "javascript": "it contains JavaScript, which a paper must not: print it to PDF again",
        "launch": "it contains an action that starts a program, which a paper must not: print it again",
        "attachment": "it carries attached files: upload each document on its own",
    }
    return [words[what] for what in ("javascript", "launch", "attachment") if what in found]


def _archive_problems(archive: zipfile.ZipFile, label: str) -> list[str]:
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        return [f"it has {len(parts):,} parts where {label} has a few dozen: it is not opened"]
    if any(part.flag_bits & 0x1 for part in parts):
        return ["it is encrypted or password-protected: save a copy without a password"]
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED:
        return [f"it unpacks to {_megabytes(unpacked)}, beyond {_megabytes(MAX_UNPACKED)}: it is not opened"]
    for part in parts:
        if part.file_size > 4096 and part.file_size > MAX_PACKING_RATIO * max(part.compress_size, 1):
            return ["one of its parts unpacks to hundreds of times its size (a zip bomb?): it is not opened"]
    if archive.testzip() is not None:
        return [f"it is damaged {label}: it cannot be opened (save it again)"]
    names = {part.filename.lower() for part in parts}
    if any(name.endswith("vbaproject.bin") or name.startswith("basic/") for name in names):
        return ["it contains macros: save it without them (as DOCX, XLSX or ODT, not a macro-enabled file)"]
    return []


def _office_problems(content: bytes, kind: FileKind) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            problems = _archive_problems(archive, kind.label)
            if problems:
                return problems
            if kind is FileKind.ODT:
                _parse_xml(archive.read("content.xml"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind is FileKind.DOCX:
                import docx

                docx.Document(io.BytesIO(content))
            elif kind is FileKind.XLSX:
                from openpyxl import load_workbook

                workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
                workbook.sheetnames  # noqa: B018 (reading the workbook's parts is the check)
                workbook.close()
    except Exception:  # a damaged file fails inside its reader in many ways
        log.info("an Office file could not be opened", exc_info=True)
        return [f"it is damaged {kind.label}: it cannot be opened (save it again)"]
    return []


def _parse_xml(xml: bytes) -> None:
    from defusedxml.ElementTree import fromstring

    fromstring(xml)


def _image_problems(content: bytes) -> list[str]:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return ["the picture is too large in pixels: save it smaller"]
                image.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()  # verify() skips the pixel data: decode it all
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return ["the picture is too large in pixels: save it smaller"]
    except Exception:  # a damaged image fails inside the decoder in many ways
        log.info("an image could not be decoded", exc_info=True)
        return ["it is a damaged image: it cannot be shown (save it again)"]
    return []


_PARSERS: Final = {
    FileKind.PDF: _pdf_problems,
    FileKind.DOCX: lambda content: _office_problems(content, FileKind.DOCX),
    FileKind.XLSX: lambda content: _office_problems(content, FileKind.XLSX),
    FileKind.ODT: lambda content: _office_problems(content, FileKind.ODT),
    FileKind.PNG: _image_problems,
    FileKind.JPEG: _image_problems,
}


# -- words ---------------------------------------------------------------------------------------------------


def _refused(name: str, problems: list[str]) -> FileRefused:
    return FileRefused(
        f"The file {name} cannot be accepted: " + "; ".join(problems),
        problems=[{"field": "file", "message": f"{name}: {problem}"} for problem in problems],
    )


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size < 10 * MB else f"{size / MB:,.0f} MB"


def _accepted_words(accepted: Collection[FileKind]) -> str:
    labels = [kind.label for kind in FileKind if kind in accepted]
    return "upload " + (", ".join(labels[:-1]) + " or " + labels[-1] if len(labels) > 1 else labels[0])
