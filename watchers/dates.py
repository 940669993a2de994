"""Reading the dates vendors print: "November 20th, 2025", "20 Nov 2025", "2025-11-20", "(Mar 14)".

Pure functions, so the many spellings are tested without any page.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4})"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"

_MDY = re.compile(rf"^{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}$", re.I)
_DMY = re.compile(rf"^{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}$", re.I)
_ISO = re.compile(r"^(\d{4})([-./])(\d{1,2})\2(\d{1,2})$")  # 2025-11-20, 2025.11.20, 2025/11/20
# 11-24-2026, 11/24/2026: month first as US sites print it, unless the first number cannot be a month.
_NUMERIC_US = re.compile(r"^(\d{1,2})([-/])(\d{1,2})\2(\d{4})$")
# An API version named after its release day ("2026-11-17.clover"): that day is the only date such pages print.
_DATED_VERSION = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\.[a-z][a-z0-9_-]{0,30}$", re.I)
_MD = re.compile(rf"^{_MONTH}\s*{_DAY}$", re.I)  # "Mar 14", "Dec.08"
_DM = re.compile(rf"^{_DAY}\s+{_MONTH}$", re.I)  # "30 November", under a year heading
_YEAR_ONLY = re.compile(r"^(?:19|20)\d{2}$")
# "26 November 2026 Release", "November 18, 2026 update": a date heading with the word for what it dates.
_RELEASE_TAIL = re.compile(r"\s+(?:service\s+)?(?:release|releases|update|updates|release\s+notes|patch)$", re.I)
_MONTH_YEAR = re.compile(rf"^{_MONTH},?\s+{_YEAR}$", re.I)
_TRAILING_PAREN = re.compile(r"^(?P<title>.*?)\s*\((?P<date>[^()]{3,40})\)\s*$")
_SEPARATED = (
    re.compile(r"^(?P<date>[^:|\u2013\u2014]{6,40}?)\s*(?::|\||\s[-\u2013\u2014]\s)\s*(?P<title>.+)$"),  # "Nov 20, 2025: Title"
    re.compile(r"^(?P<title>.+?)\s*(?:\||\s[-\u2013\u2014]\s)\s*(?P<date>[^|\u2013\u2014]{6,40})$"),  # "Title - Nov 20, 2025"
)


_HAS_DIGIT = re.compile(r"\d").search
_HAS_YEAR = re.compile(r"\d{4}").search  # every full date and every titled full date has one
_SEPARATORS = (")", ":", "|", "-", "\u2013", "\u2014")  # one of them is in every titled date


def _clean(text: str) -> str:
    return " ".join(text.split()).rstrip(":").strip()


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@functools.lru_cache(maxsize=8192)  # pages repeat their dates from one check to the next
def parse_full_date(text: str) -> dt.date | None:
    """A complete date (with year) when ``text`` is nothing but a date, else None."""
    if not _HAS_YEAR(text):
        return None
    text = _clean(text)
    if len(text) > 40:
        return None
    if match := _ISO.match(text):
        if match.group(2) == "." and (len(match.group(3)) < 2 or len(match.group(4)) < 2):
            return None  # "2026.10.2": a calendar version; dotted dates are written "2026.10.02"
        return _make(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    if match := _NUMERIC_US.match(text):
        first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        return _make(year, second, first) if first > 12 else _make(year, first, second)
    if match := _DATED_VERSION.match(text):
        return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _MDY.match(text):
        return _make(int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2)))
    if match := _DMY.match(text):
        return _make(int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)))
    return None


@functools.lru_cache(maxsize=8192)  # pages repeat their dates from one check to the next
def parse_month_day(text: str) -> tuple[int, int] | None:
    """A year-less date such as "Mar 14" or "March 14th"."""
    if not _HAS_DIGIT(text):
        return None
    cleaned = _clean(text)
    match = _MD.match(cleaned)
    if match:
        month, day = MONTHS[match.group(1).lower()], int(match.group(2))
    elif match := _DM.match(cleaned):
        month, day = MONTHS[match.group(2).lower()], int(match.group(1))
    else:
        return None
    return (month, day) if _make(2024, month, day) else None


@functools.lru_cache(maxsize=8192)  # pages repeat their dates from one check to the next
def parse_month_year(text: str) -> tuple[int, int] | None:
    """A month heading such as "September, 2025" (year, month)."""
    if not _HAS_YEAR(text):
        return None
    match = _MONTH_YEAR.match(_clean(text))
    if not match:
        return None
    return int(match.group(2)), MONTHS[match.group(1).lower()]


@functools.lru_cache(maxsize=8192)  # pages repeat their dates from one check to the next
def split_title_date(text: str) -> tuple[str, dt.date | tuple[int, int]] | None:
    """A heading carrying its own date: "Title (Mar 14)", "Title (March 14, 2024)",
    "Nov 20, 2025: Title" or "Title - 2025-11-20" -> (title, date)."""
    if not _HAS_DIGIT(text):
        return None
    if ")" not in text and not _HAS_YEAR(text):
        return None  # without a parenthesis only a full date (with its year) can be split off
    if not any(mark in text for mark in _SEPARATORS):
        return None
    cleaned = _clean(text)
    match = _TRAILING_PAREN.match(cleaned)
    if match and match.group("title"):
        inside = match.group("date")
        full = parse_full_date(inside) or parse_labelled_date(inside)  # "Chrome 143 (Stable release: Nov 18, 2026)"
        if full:
            return match.group("title"), full
        partial = parse_month_day(inside)
        if partial:
            return match.group("title"), partial
    for pattern in _SEPARATED:
        match = pattern.match(cleaned)
        if match:
            full = parse_full_date(match.group("date"))
            if full and match.group("title").strip():
                return match.group("title").strip(), full
    return None


_WEEK_OF = re.compile(r"^(?:the\s+)?week\s+(?:of|starting|beginning|commencing)\s+", re.I)
_PAREN_TAIL = re.compile(r"\s*[(\[][^()\[\]]{1,60}[)\]]\s*$")
_FULL = rf"(?:{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}|{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}|\d{{4}}-\d{{1,2}}-\d{{1,2}})"
_TITLE_THEN_DATE = re.compile(rf"^(?P<title>.*?\S)\s+(?P<date>{_FULL})$", re.I)
_DATE_THEN_TITLE = re.compile(rf"^(?P<date>{_FULL})\s+(?P<title>\S.*)$", re.I)
# "Retired on March 1, 2026", "Changes effective 2026-03-01": the date is the subject's, not the entry's.
_DATE_OBJECT = re.compile(
    r"(?:^|\s)(?:on|by|until|till|from|after|before|since|through|thru|starting|beginning|effective|of|as of|in|at|"
    r"to|due|ending|ends|end|scheduled|planned|for|between|and|retiring|retires|retired|deprecated|removed)$", re.I)
_RELEASED_TAIL = re.compile(r"[\s,;:(\[\u2013\u2014-]+(?:released|published|shipped)(?:\s+on)?$", re.I)
_RELEASE = re.compile(r"\bv?\d+(?:\.\d+)+\b|\bversion\b|\brelease\b\s*\d", re.I)
DateValue = dt.date | tuple[int, int]


@functools.lru_cache(maxsize=8192)
def parse_date_heading(text: str) -> tuple[str, DateValue] | None:
    """A heading that stands for a date, as pages write one, as ("day" | "month", value).

    Besides the bare spellings: "Week of February 16, 2026" (that week's first day, as printed)
    and a trailing remark in parentheses, "February 9, 2026 (Service release 2602)".
    """
    if not _HAS_DIGIT(text) or len(text) > 100:
        return None
    if len(text) > 40 and "(" not in text and "[" not in text and "eek" not in text:
        return None  # too long for a bare date, and nothing to strip off
    cleaned = _clean(text)
    for candidate in _heading_forms(cleaned):
        if len(candidate) > 40:
            continue
        full = parse_full_date(candidate)
        if full:
            return "day", full
        month_year = parse_month_year(candidate)
        if month_year:
            return "month", month_year
        month_day = parse_month_day(candidate)
        if month_day:
            return "day", month_day
    return None


_FULL_MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}


def parse_bare_month(text: str) -> int | None:
    """A heading that is a month's name alone ("November"), under a year the page shows elsewhere."""
    return _FULL_MONTHS.get(text.strip().rstrip(":").lower()) if len(text) <= 12 else None


def parse_year_heading(text: str) -> int | None:
    """The year of a heading that is nothing but one ("2026"): the days below it are of that year."""
    text = text.strip()
    return int(text) if len(text) == 4 and _YEAR_ONLY.match(text) else None


def _heading_forms(text: str) -> list[str]:
    forms = [text]
    if (tail := _RELEASE_TAIL.search(text)) is not None and tail.start():
        forms.append(text[: tail.start()])
    if "(" not in text and "[" not in text and "eek" not in text:
        return forms  # the common case: no remark, no "Week of"
    bare = _WEEK_OF.sub("", text, count=1)
    if bare != text:
        forms.append(bare)
    for form in list(forms):
        stripped = _PAREN_TAIL.sub("", form)
        if stripped != form and stripped:
            forms.append(stripped)
    return forms


@functools.lru_cache(maxsize=8192)
def split_heading_date(text: str) -> tuple[str, dt.date] | None:
    """A title and a full date side by side with no separator, as release headings print them.

    "Slack 4.47.69 February 17, 2026" -> ("Slack 4.47.69", date); "February 16, 2026 version
    6.7.6 (30412)" -> ("version 6.7.6 (30412)", date). A date after "on", "by", "until" and the
    like is what the title speaks of ("retired on March 1, 2026"), never the entry's; a date
    first is split off only before a version ("version 6.7.6"), else the heading is a section
    ("November 20, 2025 release notes").
    """
    if not _HAS_YEAR(text) or len(text) > 200:
        return None
    cleaned = _clean(text)
    match = _TITLE_THEN_DATE.match(cleaned)
    if match:
        # "v11.1.1, released 2026-11-25", "Version 4.2, released on November 20, 2026": the title's own day
        title = _RELEASED_TAIL.sub("", match.group("title")).rstrip(" ,:|-\u2013\u2014")
        day = parse_full_date(match.group("date"))
        if day and title and not _DATE_OBJECT.search(title) and not parse_date_heading(title):
            return title, day
    match = _DATE_THEN_TITLE.match(cleaned)
    if match:
        title = match.group("title").lstrip(" ,")
        day = parse_full_date(match.group("date"))
        if day and title and _RELEASE.search(title):
            return title, day
    return None


# "Posted On: Nov 19, 2026", "Published date: November 19, 2026", "Released on 2026-11-19":
# a short label, then the date, as entry cards print their day.
_LABELLED = re.compile(r"^(?P<label>[a-z][a-z ]{0,30}?)\s*(?::\s*|\s+on\s+)(?P<date>\S.*)$", re.I)
# Labels naming another day than the entry's: when something ends, starts being enforced, was edited.
_OTHER_DAY = re.compile(
    r"retir|deprecat|remov|end|expir|sunset|deadline|due|effective|until|start|begin|enforc|avail|updat|modif|"
    r"review|edit|revis|chang|schedul|plan|migrat|event|webinar|deliver|ship", re.I)
MAX_LABEL_WORDS = 3
_RELEASE_AVAILABILITY = re.compile(r"^(?:general\s+)?release\s+availab(?:ility|le)$", re.I)  # when it shipped


@functools.lru_cache(maxsize=8192)
def parse_labelled_date(text: str) -> dt.date | None:
    """The date of a "<label>: <date>" or "<label> on <date>" line whose label speaks of the entry itself."""
    if not _HAS_YEAR(text) or len(text) > 70:
        return None
    match = _LABELLED.match(_clean(text))
    if not match:
        return None
    label = match.group("label")
    if len(label.split()) > MAX_LABEL_WORDS or (_OTHER_DAY.search(label) and not _RELEASE_AVAILABILITY.match(label)):
        return None
    return parse_full_date(match.group("date"))


# "2026.11.0: Monthly Production release began deployment on November 10": a release named by its
# version, then a sentence that ends with the day it went out (the year from the month above it).
_RELEASE_SENTENCE = re.compile(
    rf"^(?P<version>[^:]{{0,60}}\d+\.\d+[^:]{{0,30}}):\s+(?P<sentence>[a-z][^:]{{0,80}}?)\s+"
    rf"(?P<date>{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?)\.?$", re.I)


@functools.lru_cache(maxsize=8192)
def parse_release_sentence(text: str) -> DateValue | None:
    """The day of a "<version>: <sentence ending on a date>" heading (full or year-less), else None."""
    if ":" not in text or len(text) > 200:
        return None
    match = _RELEASE_SENTENCE.match(_clean(text))
    if not match:
        return None
    when = match.group("date")
    return parse_full_date(when) or parse_month_day(when)


def infer_year(month: int, day: int, reference: dt.date) -> dt.date:
    """The year that puts (month, day) closest to a dated neighbour on the page."""
    best: dt.date | None = None
    for year in (reference.year - 1, reference.year, reference.year + 1):
        candidate = _make(year, month, day)
        if candidate and (best is None or abs(candidate - reference) < abs(best - reference)):
            best = candidate
    assert best is not None
    return best
