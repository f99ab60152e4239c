"""The README's five-minute tour runs as written (in a temporary directory) and writes what it says, and the generated
tables of README.md and docs/validation.md are their scripts' output."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_tour_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = text.split("## A five-minute tour", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README tour", "exec"), {})
    for name in ("himalia_oc.png", "himalia_sigma.png", "himalia_ellipses.png", "himalia_ste.bsp", "himalia.h5",
                 "himalia_path.png"):
        assert (tmp_path / name).stat().st_size > 1000, name


# one run of benchmarks/oppositions.py writes three tables
OPPOSITIONS = ("benchmarks/oppositions.py --markdown benchmarks/results/oppositions.md --datasets-markdown "
               "benchmarks/results/oppositions_datasets.md --eras-markdown benchmarks/results/oppositions_eras.md")
# the generated tables (benchmarks/results/NAME) -> the script that writes them (issue 17: documented figures drift
# from the code); README.md holds the ones in IN_README, docs/validation.md (the harness' whole record) the others
GENERATED = {
    "validation.md": "benchmarks/validation.py --options defaults 'independent biases' 'apparition biases' "
                     "--markdown benchmarks/results/validation.md",
    "himalia_gm.md": "benchmarks/himalia_gm.py --markdown benchmarks/results/himalia_gm.md",
    "real_occultations.md": "benchmarks/real_occultations.py --markdown benchmarks/results/real_occultations.md",
    "sigma_parts.md": "benchmarks/sigma_parts.py --markdown benchmarks/results/sigma_parts.md",
    "validation_2012.md": "benchmarks/validation.py --options defaults 'independent biases' 'apparition biases' "
                          "--cut 2012-01-01 --tests cut --markdown benchmarks/results/validation_2012.md",
    "validation_2008.md": "benchmarks/validation.py --options defaults 'independent biases' 'apparition biases' "
                          "'no biases' --cut 2008-01-01 --tests cut --markdown benchmarks/results/validation_2008.md",
    "shared_biases.md": "benchmarks/validation.py --shared --markdown benchmarks/results/shared_biases.md",
    "gaia_visits.md": "benchmarks/validation.py --visits --markdown benchmarks/results/gaia_visits.md",
    "honest_spread.md": "benchmarks/validation.py --visits --markdown benchmarks/results/gaia_visits.md "
                        "--spread-markdown benchmarks/results/honest_spread.md",
    "gaia_visits_all_2015.md": "benchmarks/validation.py --visits --tests all --cut 2015-06-01 --markdown "
                               "benchmarks/results/gaia_visits_all_2015.md --spread-markdown "
                               "benchmarks/results/honest_spread_all_2015.md",
    "honest_spread_all_2015.md": "benchmarks/validation.py --visits --tests all --cut 2015-06-01 --markdown "
                                 "benchmarks/results/gaia_visits_all_2015.md --spread-markdown "
                                 "benchmarks/results/honest_spread_all_2015.md",
    "gaia_visits_cut_2015.md": "benchmarks/validation.py --visits --tests cut --cut 2015-06-01 --markdown "
                               "benchmarks/results/gaia_visits_cut_2015.md --spread-markdown "
                               "benchmarks/results/honest_spread_cut_2015.md",
    "honest_spread_cut_2015.md": "benchmarks/validation.py --visits --tests cut --cut 2015-06-01 --markdown "
                                 "benchmarks/results/gaia_visits_cut_2015.md --spread-markdown "
                                 "benchmarks/results/honest_spread_cut_2015.md",
    "gaia_forecast.md": "benchmarks/gaia_forecast.py --check-cut 2016-06-01 2015-06-01 --markdown "
                        "benchmarks/results/gaia_forecast.md",
    "late_ground_pull_2015.md": "benchmarks/late_ground_pull.py --markdown benchmarks/results/late_ground_pull_2015.md",
    "late_ground_pull_2016.md": "benchmarks/late_ground_pull.py --cut 2016-06-01 --markdown "
                                "benchmarks/results/late_ground_pull_2016.md",
    "honest_spread_2012.md": "benchmarks/validation.py --visits --tests cut --cut 2012-01-01 "
                             "--spread-markdown benchmarks/results/honest_spread_2012.md",
    "honest_spread_2008.md": "benchmarks/validation.py --visits --tests cut --cut 2008-01-01 "
                             "--spread-markdown benchmarks/results/honest_spread_2008.md",
    "visit_correction_null_cut.md": "benchmarks/visit_correction_null.py --cut 2016-06-01 --tests cut --markdown "
                                    "benchmarks/results/visit_correction_null_cut.md",
    "visit_correction_null_all_cut.md": "benchmarks/visit_correction_null.py --cut 2016-06-01 --tests all "
                                        "--workers 2 --markdown benchmarks/results/visit_correction_null_all_cut.md",
    "visit_correction_null_all_2015.md": "benchmarks/visit_correction_null.py --markdown "
                                         "benchmarks/results/visit_correction_null_all_2015.md",
    "visit_correction_null_joint_cut.md": "benchmarks/visit_correction_null.py --cut 2016-06-01 --tests cut --joint "
                                          "--workers 2 --markdown "
                                          "benchmarks/results/visit_correction_null_joint_cut.md",
    "visit_correction_null_joint_all_2015.md": "benchmarks/visit_correction_null.py --joint --workers 2 --markdown "
                                               "benchmarks/results/visit_correction_null_joint_all_2015.md",
    "observatory_biases.md": "benchmarks/validation.py --options 'apparition biases' 'observatory biases' "
                             "--tests cut all --markdown benchmarks/results/observatory_biases.md",
    "apparition_correlation.md": "benchmarks/validation.py --options 'correlated biases' 'periodic biases' "
                                 "--markdown benchmarks/results/apparition_correlation.md",
    "apparition_correlation_2012.md": "benchmarks/validation.py --options 'correlated biases' 'periodic biases' "
                                      "--cut 2012-01-01 --tests cut --markdown "
                                      "benchmarks/results/apparition_correlation_2012.md",
    "apparition_correlation_2008.md": "benchmarks/validation.py --options 'correlated biases' 'periodic biases' "
                                      "--cut 2008-01-01 --tests cut --markdown "
                                      "benchmarks/results/apparition_correlation_2008.md",
    "observatory_biases_2012.md": "benchmarks/validation.py --options 'apparition biases' 'observatory biases' "
                                  "--cut 2012-01-01 --tests cut --markdown benchmarks/results/observatory_biases_2012.md",
    **{name: OPPOSITIONS for name in ("oppositions.md", "oppositions_datasets.md", "oppositions_eras.md")},
}

IN_README = {"gaia_visits.md", "himalia_gm.md", "real_occultations.md"}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_documented_tables_are_the_scripts_output(name):
    """The generated tables (the harness now and years ahead, shared biases, Himalia's GM, the real occultations)
    are what their scripts last wrote to benchmarks/results/: a figure typed by hand, or a table not pasted after
    the script's output changed, fails here. The occultation rows are recomputed below; the others take minutes to
    an hour and are run by hand (the scripts' docstrings say how long)."""
    root = Path(__file__).resolve().parents[1]
    document = "README.md" if name in IN_README else "docs/validation.md"
    rows = (root / "benchmarks" / "results" / name).read_text(encoding="utf-8").strip().splitlines()
    text = (root / document).read_text(encoding="utf-8")
    assert len(rows) >= 2
    missing = [row for row in rows if row not in text]
    assert not missing, f"{document} lacks the rows {missing}: run {GENERATED[name]} and paste its output"


def test_readme_points_at_the_validation_record():
    """The README's summary of the harness links the whole record (a moved or renamed page would leave the link
    dangling), and the record lists the command that regenerates each table, as GENERATED has it."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    record = (root / "docs" / "validation.md").read_text(encoding="utf-8")
    assert "(docs/validation.md)" in readme
    missing = [name for name, command in GENERATED.items() if f"python {command}" not in record]
    assert not missing, f"docs/validation.md, 'Regenerating the tables', lacks the commands of {missing}"


def heading_anchor(heading):
    """The anchor a markdown renderer (GitHub's rule) gives a heading: lower case, punctuation dropped (letters,
    digits, '_', '-' and spaces kept, any script), spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_validation_records_section_links_resolve():
    """docs/validation.md's "Where to read what" links its sections by anchor: a renamed heading would leave a
    dangling link, which this names. Every section ("## ") is linked once at least; a link may also point to a
    subsection."""
    record = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text(encoding="utf-8")
    headings = [line for line in record.splitlines() if line.startswith("#")]
    anchors = {heading_anchor(line[3:]) for line in headings if line.startswith("## ")}
    targets = {heading_anchor(line.lstrip("#")) for line in headings}
    links = set(re.findall(r"\]\(#([^)]+)\)", record))
    assert links, "docs/validation.md has no section links"
    assert links <= targets, f"links to no heading: {sorted(links - targets)}"
    assert anchors <= links, f"sections not linked from 'Where to read what': {sorted(anchors - links)}"
    assert heading_anchor("Where the common term comes from: the periodic RA* prior") == \
        "where-the-common-term-comes-from-the-periodic-ra-prior"


def test_the_real_occultation_rows_are_what_the_reductions_give_today(tmp_path):
    """The occultation table's numbers recomputed (each event reduces in well under a second): the file in
    benchmarks/results/ is not stale."""
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "real_occultations.md"
    run = subprocess.run([sys.executable, str(root / "benchmarks" / "real_occultations.py"), "--markdown", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert out.read_text(encoding="utf-8") == (root / "benchmarks" / "results" / "real_occultations.md").read_text(
        encoding="utf-8")
