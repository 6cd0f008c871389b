"""The Unicode TrueType fonts the reports' PDFs are drawn with: DejaVu Sans (regular and bold) and DejaVu Sans
Mono, from Debian's fonts-dejavu-core (installed by .ci/run and README's set-up), or from the folder
CASEREV_REPORTS_PDF_FONT_DIR names. PDF's core fonts hold Latin-1 only, so a report's curly quotes, dashes,
Polish, Latvian or Welsh letters (ł, Ā, ŵ, ŷ) would be lost; DejaVu draws them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
MONO = "DejaVuSansMono.ttf"


class MissingFont(RuntimeError):
    """A font the PDFs need is not where the settings say: what is missing and how to install it."""


@dataclass(frozen=True)
class PdfFonts:
    """The paths of the three font files, each found."""

    regular: Path
    bold: Path
    mono: Path


def pdf_fonts(directory: str | Path) -> PdfFonts:
    """The fonts in `directory`, or MissingFont naming the first file absent and how to put it there."""
    folder = Path(directory)
    found = PdfFonts(regular=folder / REGULAR, bold=folder / BOLD, mono=folder / MONO)
    for path in (found.regular, found.bold, found.mono):
        if not path.is_file():
            raise MissingFont(
                f"The PDF font {path} is missing. Install Debian's fonts-dejavu-core "
                "(apt-get install fonts-dejavu-core), or set CASEREV_REPORTS_PDF_FONT_DIR to a folder "
                f"holding {REGULAR}, {BOLD} and {MONO}."
            )
    return found
