"""The uploaded-file checker (services/kernel/uploads.py): every kind accepted by content, every bad file
refused with all its reasons in plain words."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from services.kernel.errors import STATUS_BY_ERROR
from services.kernel.uploads import MB, CheckedFile, FileKind, FileRefused, check_upload, safe_filename


def a_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Agenda of a synthetic meeting")
    return bytes(pdf.output())


def rewritten(pdf: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def a_docx(extra_part: tuple[str, bytes] | None = None) -> bytes:
    document = docx.Document()
    document.add_paragraph("Minutes of a synthetic meeting")
    out = io.BytesIO()
    document.save(out)
    if extra_part is None:
        return out.getvalue()
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(*extra_part)
    return out.getvalue()


def an_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["action", "owner"])  # type: ignore[union-attr]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def an_odt(content_xml: bytes | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr(
            "content.xml",
            content_xml
            or b'<?xml version="1.0"?><office:document-content '
            b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"><office:body/>'
            b"</office:document-content>",
        )
        archive.writestr("META-INF/manifest.xml", b"<manifest/>")
    return out.getvalue()


def an_image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, kind)
    return out.getvalue()


def refusal(content: bytes, filename: str, **limits: object) -> list[str]:
    with pytest.raises(FileRefused) as refused:
        check_upload(content, filename, **limits)  # type: ignore[arg-type]
    return [problem["message"] for problem in refused.value.problems]


@pytest.mark.parametrize(
    ("make", "filename", "kind"),
    [
        (a_pdf, "agenda.pdf", FileKind.PDF),
        (a_docx, "minutes.docx", FileKind.DOCX),
        (an_xlsx, "actions.xlsx", FileKind.XLSX),
        (an_odt, "notes.odt", FileKind.ODT),
        (lambda: an_image("PNG"), "map.png", FileKind.PNG),
        (lambda: an_image("JPEG"), "photo.JPG", FileKind.JPEG),
        (lambda: an_image("JPEG"), "photo.jpeg", FileKind.JPEG),
    ],
)
def test_each_document_kind_is_accepted_by_its_content(make, filename: str, kind: FileKind) -> None:  # type: ignore[no-untyped-def]
    content = make()
    checked = check_upload(content, filename)
    assert isinstance(checked, CheckedFile)
    assert checked.kind is kind, f"{filename} was taken for {checked.kind}"
    assert checked.media_type == kind.media_type
    assert checked.size_bytes == len(content)
    assert len(checked.sha256) == 64


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"", "agenda.pdf") == ["agenda.pdf: the file is empty: choose the document itself"]


def test_an_oversize_file_is_refused_with_its_size_and_the_limit() -> None:
    (problem,) = refusal(a_pdf() + b"\n" * (2 * MB), "agenda.pdf", max_bytes=1 * MB)
    assert "the limit is 1.0 MB" in problem and "2.0 MB" in problem


def test_every_problem_is_listed_at_once() -> None:
    problems = refusal(a_docx(), "agenda.pdf", max_bytes=1024)
    assert len(problems) == 2, problems
    assert "the limit" in problems[0]
    assert "ends .pdf but it is a Word document" in problems[1]


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "a Windows program"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "a Linux program"),
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 200, "a macOS program"),
        (b"#!/bin/sh\nrm -rf /\n", "a script"),
        (b"<script>alert(1)</script>", "a script or web page"),
        (b"@echo off\r\ndel *.*\r\n", "a script or web page"),
        (b"powershell -enc AAAA", "a script or web page"),
    ],
)
def test_a_program_or_script_renamed_pdf_is_refused(content: bytes, what: str) -> None:
    (problem,) = refusal(content, "agenda.pdf")
    assert what in problem, problem


def test_text_that_is_no_document_is_refused_whatever_its_name() -> None:
    (problem,) = refusal(b"just some words", "agenda.pdf")
    assert "is not a PDF" in problem


def test_a_pdf_with_javascript_is_refused() -> None:
    def add_javascript(writer: PdfWriter) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(1);"),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)

    content = rewritten(a_pdf(), add_javascript)
    (problem,) = refusal(content, "agenda.pdf")
    assert "contains JavaScript" in problem


def test_a_pdf_with_an_open_action_in_javascript_hidden_in_an_escaped_name_is_refused() -> None:
    pdf = a_pdf().replace(b"/OpenAction [3 0 R /FitH null]", b"/OpenAction << /S /JavaScr#69pt /J#53 (x) >>")
    assert b"/J#53" in pdf
    problems = refusal(pdf, "agenda.pdf")
    assert any("contains JavaScript" in problem for problem in problems), problems


def test_a_pdf_with_an_attached_file_is_refused() -> None:
    content = rewritten(a_pdf(), lambda writer: writer.add_attachment("run.exe", b"MZ"))
    (problem,) = refusal(content, "agenda.pdf")
    assert "attached files" in problem


def test_an_encrypted_pdf_is_refused() -> None:
    content = rewritten(a_pdf(), lambda writer: writer.encrypt("synthetic-password"))
    (problem,) = refusal(content, "agenda.pdf")
    assert "encrypted or password-protected" in problem


def test_a_truncated_pdf_is_refused_as_damaged() -> None:
    (problem,) = refusal(a_pdf()[:120], "agenda.pdf")
    assert "damaged PDF" in problem


def test_a_corrupt_word_document_is_refused() -> None:
    content = a_docx().replace(b"word/document.xml", b"word/document.xmX", 1)
    problems = refusal(content[: len(content) // 2], "minutes.docx")
    assert problems and "damaged" in problems[0], problems


def test_a_word_document_with_macros_is_refused() -> None:
    (problem,) = refusal(a_docx(("word/vbaProject.bin", b"\x00" * 64)), "minutes.docx")
    assert "macros" in problem


def test_an_encrypted_or_old_office_file_is_refused() -> None:
    (problem,) = refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "minutes.docx")
    assert "password-protected Office file" in problem


def test_a_zip_with_an_encrypted_part_is_refused() -> None:
    content = bytearray(a_docx())
    # Set the "encrypted" flag of every entry in the central directory, as a password-protected zip has.
    at = content.find(b"PK\x01\x02")
    while at >= 0:
        content[at + 8] |= 0x1
        at = content.find(b"PK\x01\x02", at + 4)
    (problem,) = refusal(bytes(content), "minutes.docx")
    assert "encrypted" in problem


def test_a_zip_bomb_is_not_unpacked() -> None:
    (problem,) = refusal(a_docx(("word/media/padding.bin", b"\x00" * (8 * MB))), "minutes.docx")
    assert "zip bomb" in problem


def test_a_plain_zip_archive_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    (problem,) = refusal(out.getvalue(), "papers.pdf")
    assert "zip archive" in problem


def test_an_odt_with_broken_xml_is_refused() -> None:
    (problem,) = refusal(an_odt(b"<office:document-content><unclosed>"), "notes.odt")
    assert "damaged" in problem


def test_a_corrupt_image_is_refused() -> None:
    png = an_image("PNG")
    (problem,) = refusal(png[:60], "map.png")
    assert "damaged image" in problem


def test_a_kind_not_accepted_here_is_refused() -> None:
    (problem,) = refusal(an_image("PNG"), "map.png", accepted={FileKind.PDF, FileKind.DOCX})
    assert "not accepted here" in problem and "upload a PDF or a Word document (DOCX)" in problem


def test_a_name_without_ending_is_told_the_ending() -> None:
    (problem,) = refusal(a_pdf(), "agenda")
    assert "name it ….pdf" in problem


def test_a_refusal_crosses_the_wire_as_an_unprocessable_request() -> None:
    assert STATUS_BY_ERROR["FileRefused"] == 422


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\agenda.pdf", "agenda.pdf"),
        ('a"b<c>\x00d.pdf', "abc d.pdf"),
        ("", "document"),
        ("x" * 400 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_a_file_name_is_made_safe_to_serve(given: str, kept: str) -> None:
    assert safe_filename(given) == kept
