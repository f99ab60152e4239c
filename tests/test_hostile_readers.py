"""Hostile input: every reader either reads a record or rejects it with file:line and a reason, and a damage that
makes a reader lose its place is a located ObservationFormatError (or a rejection), never a silent change.

Regression tests, one per defect a fuzzing campaign found, then a seeded mutation fuzz of every reader on real files
(tests/data fixtures, data/ files): byte flips, deleted and duplicated lines, truncation, a long line, non-ASCII
digits, a first byte turned into '#'. The fuzz asserts that no kept row differs from the undamaged file's row unless
its own lines were damaged (rows are matched by their `line` column, through the mutations' line shifts); a header
damage (PSV, CSV, SORA event) must be an error or a rejection, except the SORA catalogue read from the star's name.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import time

import numpy as np
import pytest

from orbitfit.observations import (ObservationFormatError, read_ades, read_gj15, read_mpc80, read_mpc_csv,
                                   read_nsdb, read_sora_occultation)
from orbitfit.observations.core import Reject
from orbitfit.observations.fields import integer, number
from orbitfit.observations.gaia_archive import read_gaia_sso

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data")
FIXTURES = os.path.join(ROOT, "tests", "data")
OUTER = os.path.join(DATA, "nsdb_jupiter_outer")
SORA_LOG = os.path.join(FIXTURES, "fixture_sora_galilean.log")
ADES_XML = os.path.join(FIXTURES, "fixture_ades_jupiter.xml")
ADES_PSV = os.path.join(FIXTURES, "fixture_ades_jupiter.psv")
MPC80 = os.path.join(FIXTURES, "fixture_mpc80_jupiter.txt")
MPC_CSV = os.path.join(OUTER, "DERIVED_mpc_astrometry_J6-J13_2005-2022.csv")
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}


def lines_of(path):
    return open(path, encoding="utf-8").read().splitlines()


def write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def replaced(path, old, new, count=1):
    text = open(path, encoding="utf-8").read()
    assert text.count(old) >= count, old
    return text.replace(old, new, count).splitlines()


# --- 1. SORA ------------------------------------------------------------------------------------------------------
def test_sora_damaged_header_never_credits_the_previous_moon(tmp_path):
    # line 26 "Stellar occultation of star Gaia-DR2 ... by Ganymede.": today its position (line 31) became Europa's
    lines = replaced(SORA_LOG, "Stellar occultation of star Gaia-DR2", "Stellar occultatoin of star Gaia-DR2")
    obs, report = read_sora_occultation(write(tmp_path, "occ.log", lines))
    assert list(obs["name"]) == ["Europa"] and report.read == 2 and report.kept == 1
    assert str(report.rejected[0]).startswith("occ.log:31: the event header at line 26 is damaged")
    # a header damaged beyond recognition: the position still has no header of its own
    lines = replaced(SORA_LOG, "Stellar occultation of star Gaia-DR2", "#$%&!?")
    obs, report = read_sora_occultation(write(tmp_path, "occ2.log", lines))
    assert list(obs["name"]) == ["Europa"]
    assert report.rejected[0].line == 31 and "second position after the event header at line 3" in \
        report.rejected[0].reason


def test_sora_damaged_keyword_is_a_rejection(tmp_path):
    lines = replaced(SORA_LOG, "Astrometric object position at time 2016", "Astrometric objeXt position at time 2016")
    obs, report = read_sora_occultation(write(tmp_path, "occ.log", lines))
    assert (report.read, report.kept) == (2, 1) and report.rejected[0].line == 31
    # the keyword destroyed: the orphaned "RA = ..." line (32) stands for the lost position
    lines = replaced(SORA_LOG, "Astrometric object position at time 2016", "qwertyuiopasdfghjklzxcvbnm at time 2016")
    obs, report = read_sora_occultation(write(tmp_path, "occ2.log", lines))
    assert (report.read, report.kept) == (2, 1) and report.rejected[0].line == 32
    assert "without its 'Astrometric object position" in report.rejected[0].reason


# --- 2. ADES ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("old, new, message", [
    ("<optical>", "<opticaI>", r"obs\.xml:15: .*unknown ADES name 'opticaI' \(did you mean optical\?\)"),
    ("<rmsRA>0.0011</rmsRA>", "<rmsRa>0.0011</rmsRa>", r"obs\.xml:22: .*'rmsRa' \(did you mean rmsRA\?\)"),
    ("<optical>\n        <permID>Jupiter 1", "<optical><optical>\n        <permID>Jupiter 1",
     r"obs\.xml:15: <optical> inside <optical>"),
])
def test_ades_xml_unknown_or_misplaced_elements_are_located_errors(tmp_path, old, new, message):
    lines = replaced(ADES_XML, old, new)
    lines = [line.replace("</optical>", "</opticaI>", 1) if "opticaI" in new and i == 25 else line
             for i, line in enumerate(lines)]
    lines = [line + "</optical>" if "<optical><optical>" in new and i == 25 else line for i, line in enumerate(lines)]
    with pytest.raises(ObservationFormatError, match=message):
        read_ades(write(tmp_path, "obs.xml", lines))


def test_ades_xml_empty_and_duplicated_fields(tmp_path):
    with pytest.raises(ObservationFormatError, match=r"empty\.xml:1: expected ADES observation records"):
        read_ades(write(tmp_path, "empty.xml", ["<ades version='2017'></ades>"]))
    lines = replaced(ADES_XML, "<ra>325.768232625</ra>", "<ra>325.768232625</ra><ra>1.0</ra>")
    obs, report = read_ades(write(tmp_path, "dup.xml", lines))
    assert (report.read, report.kept) == (4, 3)
    assert str(report.rejected[0]) == "dup.xml:15: field <ra> given twice in one record"


def test_ades_psv_misspelled_header_field(tmp_path):
    lines = replaced(ADES_PSV, "|rmsRA  |", "|rmsRa  |")
    with pytest.raises(ObservationFormatError, match=r"obs\.psv:11: .*'rmsRa' \(did you mean rmsRA\?\)"):
        read_ades(write(tmp_path, "obs.psv", lines))


def test_ades_fields_the_reader_does_not_use_are_accepted(tmp_path):
    extra = ("mag", "band", "notes", "photCat", "obsID", "trkID", "prog", "ref", "disc", "subFmt", "precTime",
             "precRA", "precDec", "uncTime", "exp", "rmsTime", "seeing", "logSNR", "nStars")
    values = ("15.2", "V", "K", "Gaia3", "a1", "t1", "01", "MPEC", "*", "M92", "1000", "0.001", "0.01", "0.5", "30",
              "0.1", "1.5", "1.2", "40")
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in zip(extra, values))
    lines = [line.replace("<astCat>", fields + "<astCat>") for line in lines_of(ADES_XML)]
    xml, report = read_ades(write(tmp_path, "obs.xml", lines))
    plain, _ = read_ades(ADES_XML)
    assert report.kept == 4 and np.array_equal(xml["ra_deg"], plain["ra_deg"])
    lines = lines_of(ADES_PSV)
    lines[10] += "|" + "|".join(extra)
    lines[11:20] = [line + "|" + "|".join(values) for line in lines[11:20]]
    obs, report = read_ades(write(tmp_path, "obs.psv", lines[:20]))
    assert report.kept == 7 and len(report.rejected) == 2          # as without the extra fields


def test_ades_utf16_and_empty_xml(tmp_path):
    path = tmp_path / "obs16.xml"
    path.write_text(open(ADES_XML).read().replace('encoding="UTF-8"', 'encoding="UTF-16"'), encoding="utf-16")
    obs, report = read_ades(str(path))
    assert report.kept == 4 and list(obs["line"]) == [15, 27, 47, 58]
    (tmp_path / "empty.xml").write_bytes(b"")
    with pytest.raises(ObservationFormatError, match=r"empty\.xml:1: expected well-formed ADES XML"):
        read_ades(str(tmp_path / "empty.xml"))


# --- 3. MPC CSV and ASCII digits ----------------------------------------------------------------------------------
def test_mpc_csv_row_turned_into_a_comment_is_counted(tmp_path):
    lines = lines_of(MPC_CSV)[:12]
    lines[5] = "#" + lines[5][1:]
    obs, report = read_mpc_csv(write(tmp_path, "mpc.csv", lines))
    assert (report.read, report.kept) == (9, 8) and report.rejected[0].line == 6


@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC], ids=["fullwidth", "arabic-indic"])
def test_only_ascii_digits_are_numbers(tmp_path, digits):
    for text in ("12.5", "7"):
        with pytest.raises(Reject, match="expected a"):
            number("".join(digits.get(c, c) for c in text), "x") if "." in text else \
                integer("".join(digits.get(c, c) for c in text), "x")
    lines = lines_of(MPC_CSV)[:6]
    lines[3] = lines[3].replace("12 55 50.68", "12 55 5" + digits["0"] + ".68")
    obs, report = read_mpc_csv(write(tmp_path, "mpc.csv", lines))
    assert (report.read, report.kept) == (3, 2) and report.rejected[0].line == 4
    lines = replaced(ADES_PSV, "2021-04-02T10:24:00.000Z", "2021-04-02T1" + digits["0"] + ":24:00.000Z")
    obs, report = read_ades(write(tmp_path, "obs.psv", lines))
    assert report.kept == 7 and any(r.line == 12 and "obsTime" in r.reason for r in report.rejected)


# --- 10. linear time ----------------------------------------------------------------------------------------------
def timed(reader, path):
    start = time.perf_counter()
    try:
        reader(path)
    except ObservationFormatError:
        pass
    return time.perf_counter() - start


def test_sora_header_line_is_read_in_linear_time(tmp_path):
    long_line = "Stellar occultation of star " + "Gaia by " * 12500          # 100 kB, no final '.'
    path = write(tmp_path, "occ.log", lines_of(SORA_LOG) + [long_line])
    assert timed(read_sora_occultation, path) < 1.0


def test_nsdb_description_key_line_is_read_in_linear_time(tmp_path):
    shutil.copy(os.path.join(OUTER, "jo0004.txt"), tmp_path / "jo0004.txt")
    html = lines_of(os.path.join(OUTER, "jo0004.html"))
    at = next(i for i, line in enumerate(html) if "Informations" in line)
    html[at + 1:at + 1] = ["a" + " " * 100000 + "b", "<" + " " * 100000 + "x"]
    write(tmp_path, "jo0004.html", html)
    assert timed(read_nsdb, str(tmp_path / "jo0004.txt")) < 1.0


# --- 11. files that are not files ---------------------------------------------------------------------------------
def test_directories_are_format_errors_and_missing_files_not_found(tmp_path):
    shutil.copy(os.path.join(OUTER, "jo0001.txt"), tmp_path / "jo0001.txt")
    (tmp_path / "jo0001.html").mkdir()
    with pytest.raises(ObservationFormatError, match=r"^jo0001\.html:1: expected a file, got a directory"):
        read_nsdb(str(tmp_path / "jo0001.txt"))
    (tmp_path / "Himalia.dat").mkdir()
    for reader in (read_gj15, read_mpc80, read_mpc_csv, read_ades, read_sora_occultation, read_nsdb):
        with pytest.raises(ObservationFormatError, match=r"^Himalia\.dat:1: expected a file"):
            reader(str(tmp_path / "Himalia.dat"))
        with pytest.raises(FileNotFoundError):
            reader(str(tmp_path / "Nowhere.dat"))


# --- seeded mutation fuzz -----------------------------------------------------------------------------------------
class Case:
    """A reader, a real file (its first `n` lines), and which original lines each record depends on."""

    def __init__(self, reader, name, source, n=None, extra=(), span=None, context=None, context_columns=()):
        self.reader, self.name, self.extra = reader, name, extra
        self.lines = (source() if callable(source) else lines_of(source))[:n]
        self.span = span or (lambda lines, line: (line, line))     # (first, last) original lines of the record
        # lines outside the record whose damage may change `context_columns` (and nothing else) undetectably
        self.context, self.context_columns = context or (lambda lines, line: []), context_columns


def _mpc80_span(lines, line):
    return (line, line + 1) if lines[line - 1][14:15] in "SV" else (line, line)


def _xml_span(lines, line):
    return line, next(i for i in range(line, len(lines) + 1) if re.search(r"</(optical|radar|offset)>",
                                                                          lines[i - 1]))


def _sora_header(lines, line):
    """The event header: its star name gives the catalogue, and a damaged star name is still a star name."""
    return [max(i for i in range(1, line) if lines[i - 1].startswith("Stellar occultation"))]


def _gaia_archive_lines():
    """Gaia DR3's records of the moons (NSDB jo0069) in the archive's sso_observation columns, as a CSV file."""
    from test_gaia_archive import FPR_COLUMNS, archive_rows
    rows = archive_rows(limit=29)
    return [",".join(FPR_COLUMNS)] + [",".join(f'"{r[c]}"' if " " in r[c] else r[c] for c in FPR_COLUMNS)
                                      for r in rows]


CASES = {
    "gj15": Case(read_gj15, "Himalia.dat", os.path.join(DATA, "gj15", "Himalia.dat"), 30),
    "nsdb": Case(read_nsdb, "jo0035.txt", os.path.join(OUTER, "jo0035.txt"), 30,
                 [os.path.join(OUTER, "jo0035.html")]),
    "nsdb_b1950": Case(read_nsdb, "jo0012.txt", os.path.join(OUTER, "jo0012.txt"), None,
                       [os.path.join(OUTER, "jo0012.html")]),
    "mpc80": Case(read_mpc80, "obs.txt", MPC80, span=_mpc80_span),
    "mpc_csv": Case(read_mpc_csv, "mpc.csv", MPC_CSV, 30),
    "ades_psv": Case(read_ades, "obs.psv", ADES_PSV),
    "ades_xml": Case(read_ades, "obs.xml", ADES_XML, span=_xml_span),
    "gaia_sso": Case(read_gaia_sso, "sso.csv", _gaia_archive_lines),
    "sora": Case(read_sora_occultation, "occ.log", SORA_LOG, span=lambda lines, line: (line, line + 1),
                 context=_sora_header, context_columns=("catalog",)),
}
ODD = "#|,<>: .-+\t\u00a0\ufffd\u2212" + "".join(FULLWIDTH.values()) + "".join(ARABIC_INDIC.values())


def mutate(rng: random.Random, lines: list) -> list:
    """1-3 random damages. Entries are [original line number or None (inserted), text, damaged]."""
    entries = [[i, text, False] for i, text in enumerate(lines, start=1)]
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(entries))
        text = entries[k][1]
        pos = rng.randrange(len(text) + 1)
        how = rng.choice(["flip", "flip", "odd", "delete", "duplicate", "truncate", "long", "digit", "comment"])
        if how == "delete" and len(entries) > 1:
            del entries[k]
            continue
        if how == "duplicate":
            entries.insert(k, [None, text, True])
            continue
        if how == "long":
            entries.insert(k, [None, (text or "x ") * (40000 // max(len(text), 2)), True])
            continue
        if how == "truncate":
            del entries[k + 1:]
            text = text[:pos]
        elif how == "flip":
            text = text[:pos] + chr(rng.randrange(32, 127)) + text[pos + 1:]
        elif how == "odd":
            text = text[:pos] + rng.choice(ODD) + text[pos + 1:]
        elif how == "digit":
            digits = [j for j, c in enumerate(text) if c.isdigit() and c.isascii()]
            if digits:
                j = rng.choice(digits)
                text = text[:j] + rng.choice([FULLWIDTH, ARABIC_INDIC])[text[j]] + text[j + 1:]
        elif how == "comment":
            text = "#" + text[1:]
        entries[k] = [entries[k][0], text, entries[k][2] or text != entries[k][1]]
    return entries


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b))


def intact(case, entries, original: int, where: dict) -> bool:
    """Whether the lines of the record at `original` are all still there, undamaged, in their place."""
    first, last = case.span(case.lines, original)
    if first not in where or last not in where:
        return False
    block = entries[where[first]:where[last] + 1]
    return [e[0] for e in block] == list(range(first, last + 1)) and not any(e[2] for e in block)


def compared_columns(case, entries, original: int, where: dict, columns) -> list:
    """Columns that must equal the undamaged row's: all but `line`, and but the context columns when a context
    line of the record was damaged."""
    damaged = any(n not in where or entries[where[n]][2] for n in case.context(case.lines, original))
    return [c for c in columns if c != "line" and not (damaged and c in case.context_columns)]


def check_mutant(case, folder, baseline, entries):
    path = os.path.join(folder, case.name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(e[1] for e in entries) + "\n")
    try:
        obs, report = case.reader(path)
    except ObservationFormatError as exc:
        assert re.match(rf"^{re.escape(case.name)}:\d+: \S", str(exc)) or \
            re.match(r"^jo\d{4}\.html:\d+: \S", str(exc)), str(exc)
        return
    assert report.read == report.kept + len(report.rejected) and len(obs) == report.kept
    for rejection in report.rejected:
        assert rejection.file == case.name and 1 <= rejection.line <= len(entries) and rejection.reason
        assert str(rejection).startswith(f"{case.name}:{rejection.line}: ")
    base_rows = {int(row["line"]): row for row in baseline}
    where = {e[0]: k for k, e in enumerate(entries) if e[0] is not None}
    for row in obs:
        original = entries[int(row["line"]) - 1][0]
        if original is None or not intact(case, entries, original, where):
            continue
        assert original in base_rows, f"line {row['line']}: a row the undamaged file does not have"
        base = base_rows[original]
        for column in compared_columns(case, entries, original, where, obs.colnames):
            assert _same(row[column], base[column]), (column, row[column], base[column], entries)


def run_fuzz(case_name, n_files, seed, tmp_path):
    case = CASES[case_name]
    folder = str(tmp_path)
    for source in case.extra:
        shutil.copy(source, folder)
    path = os.path.join(folder, case.name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(case.lines) + "\n")
    baseline, _ = case.reader(path)
    assert len(baseline) > 0
    rng = random.Random(f"{seed}:{case_name}")
    for _ in range(n_files):
        check_mutant(case, folder, baseline, mutate(rng, case.lines))


# ~8 cases x 180 files x 2 mutations on average: about 3000 mutations in the CI run.
@pytest.mark.parametrize("case_name", sorted(CASES))
def test_seeded_mutation_fuzz(case_name, tmp_path):
    run_fuzz(case_name, 180, 20260101, tmp_path)


# ~24 000 mutations, ~100 s: a campaign, run on demand (`python -m pytest -m campaign`), not in every CI run
@pytest.mark.campaign
@pytest.mark.slow
@pytest.mark.parametrize("case_name", sorted(CASES))
def test_seeded_mutation_fuzz_long(case_name, tmp_path):
    run_fuzz(case_name, 1500, 7, tmp_path)
