"""What the gateway, the operator's command and the chronology service may know of chronologies. Import
from here: `services.chronology.contract`. Nothing in it imports another service, the gateway or caserev."""

# == The chronology file: the normalised entry, its dates, the template's columns, checking a file and the
# template (entries.py, dates.py, columns.py, sheet.py, template.py) ========================================
from services.chronology.contract.columns import STANDARD_COLUMNS, Column, columns_for, heading_key
from services.chronology.contract.dates import DateProblem, EntryDate, Precision, parse_entry_date, parse_time
from services.chronology.contract.entries import (
    LONG_TEXT,
    SHORT_TEXT,
    ChronologyEntry,
    Significance,
    entry_json_schema,
)
from services.chronology.contract.sheet import (
    CheckContext,
    Checked,
    CheckResult,
    Problem,
    check_entry,
    check_file,
    check_whole,
)
from services.chronology.contract.template import template_csv, template_xlsx

__all__ = [
    "LONG_TEXT",
    "SHORT_TEXT",
    "STANDARD_COLUMNS",
    "CheckContext",
    "CheckResult",
    "Checked",
    "ChronologyEntry",
    "Column",
    "DateProblem",
    "EntryDate",
    "Precision",
    "Problem",
    "Significance",
    "check_entry",
    "check_file",
    "check_whole",
    "columns_for",
    "entry_json_schema",
    "heading_key",
    "parse_entry_date",
    "parse_time",
    "template_csv",
    "template_xlsx",
]
# == end of the chronology file's names: another block goes after an `# isort: split` line, with
# `__all__ += [...]`, so that sorting imports never mixes the blocks ========================================

# isort: split
# == The chronology service: its RPCs, what they answer, the events it publishes (rpc.py, views.py, events.py)
from services.chronology.contract.events import (
    AgencyMessageRefused,
    ChronologyRejected,
    ChronologyReplaced,
    ChronologyUploaded,
    DuplicateResolved,
    EntriesPublished,
    EpisodeTagged,
    EpisodeUntagged,
)
from services.chronology.contract.feed import (
    AGENCY_ENTRIES_QUEUE,
    AgencyMessage,
    IssueConnection,
    IssuedConnection,
    RefusedMessage,
    SystemConnectionView,
    agency_exchange,
    agency_message_json_schema,
)
from services.chronology.contract.rpc import SERVICE, Chronology
from services.chronology.contract.views import (
    MAX_PAGE,
    AddPerson,
    CheckRules,
    ChronologyPage,
    ChronologyQuery,
    Decision,
    DuplicateView,
    EntryView,
    EpisodeView,
    PersonView,
    ProblemView,
    StartUpload,
    TagEpisode,
    UploadDetail,
    UploadView,
)

__all__ += [
    "AGENCY_ENTRIES_QUEUE",
    "MAX_PAGE",
    "SERVICE",
    "AddPerson",
    "AgencyMessage",
    "AgencyMessageRefused",
    "CheckRules",
    "Chronology",
    "ChronologyPage",
    "ChronologyQuery",
    "ChronologyRejected",
    "ChronologyReplaced",
    "ChronologyUploaded",
    "Decision",
    "DuplicateResolved",
    "DuplicateView",
    "EntriesPublished",
    "EntryView",
    "EpisodeTagged",
    "EpisodeUntagged",
    "EpisodeView",
    "IssueConnection",
    "IssuedConnection",
    "PersonView",
    "ProblemView",
    "RefusedMessage",
    "StartUpload",
    "SystemConnectionView",
    "TagEpisode",
    "UploadDetail",
    "UploadView",
    "agency_exchange",
    "agency_message_json_schema",
]
