"""Exchange formats out: ADES (PSV, XML) read back row for row by orbitfit's own reader, the XML's <optical> records
hold every field ADES 2022 requires, and the MPC-style residual listing carries the Solution's numbers."""
import dataclasses
import os
from xml.etree import ElementTree

import numpy as np
import pytest

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit
from orbitfit.observations.ades import read_ades
from orbitfit.observations.core import Observations
from orbitfit.observations.exchange import write_ades, write_mpc_residuals

FIXTURES = os.path.join(os.path.dirname(__file__), "data")
DAY_S = 86400.0

# IAU-ADES/ADES-Master xsd/general.xsd (version 2022), OpticalType: required (no minOccurs="0") are the OpticalID
# group (MPCID: permID, or provID, or artSat; or trkSub), mode, stn, obsTime, ra, dec, astCat.
REQUIRED_ONE_OF = ("permID", "provID", "artSat", "trkSub")
REQUIRED_OPTICAL = ("mode", "stn", "obsTime", "ra", "dec", "astCat")


@pytest.fixture(scope="module")
def mixed(leda_gj15):
    """Leda plus, from the ADES fixture, a geocentric occultation row (stn 244 -> observer 500) and the stn 275
    occultation row with a geocentric explicit observer position (ICRF_KM, ctr 399)."""
    fixture, _ = read_ades(os.path.join(FIXTURES, "fixture_ades_jupiter.psv"))
    occultation = fixture[(fixture["kind"] == "occultation") & (fixture["observer"] == "500")][:1]
    explicit = fixture[fixture["obs_frame"] == "geocentric"]
    assert len(occultation) == 1 and len(explicit) == 1 and explicit["observer"][0] == "275"
    return Observations.concatenate([leda_gj15, occultation, explicit])


def assert_same_rows(before, after):
    assert len(after) == len(before)
    for column in ("body", "observer", "kind", "catalog", "obs_frame"):
        assert list(after[column]) == list(before[column]), column
    dt = ((after["utc_jd1"] - before["utc_jd1"]) + (after["utc_jd2"] - before["utc_jd2"])) * DAY_S
    assert np.max(np.abs(dt)) < 1e-3                                  # times to 1 ms (written to 1 us)
    assert np.max(np.abs(after["tdb"] - before["tdb"])) < 1e-3
    assert np.allclose(after["ra_deg"], before["ra_deg"], atol=5.1e-10, rtol=0)     # 9 decimals printed
    assert np.allclose(after["dec_deg"], before["dec_deg"], atol=5.1e-10, rtol=0)
    for column in ("sigma_ra_mas", "sigma_dec_mas"):                 # 5 decimals of arcsec = 0.01 mas
        assert np.allclose(after[column], before[column], atol=5e-3, rtol=0, equal_nan=True), column
    assert np.array_equal(after["corr"], before["corr"])
    geo = before["obs_frame"] == "geocentric"
    for c in "xyz":                                                   # km with 6 decimals
        assert np.allclose(after[f"obs_{c}_km"][geo], before[f"obs_{c}_km"][geo], atol=5e-7, rtol=0)


@pytest.mark.parametrize("ext", [".psv", ".xml"])
def test_ades_round_trip(mixed, tmp_path, ext):
    path = tmp_path / f"leda{ext}"
    assert write_ades(mixed, path) == len(mixed)
    back, report = read_ades(str(path))
    assert report.kept == len(mixed) and not report.rejected
    assert_same_rows(mixed, back)
    assert list(back["catalog"][-2:]) == ["Gaia EDR3", "Gaia EDR3"]     # Gaia3E -> Gaia EDR3 -> Gaia3E -> ...
    assert back["corr"][-2] == 0.12
    assert not os.path.exists(str(path) + ".tmp")


def test_ades_text(mixed, tmp_path):
    path = tmp_path / "leda.psv"
    write_ades(mixed, path)
    lines = open(path).read().splitlines()
    assert lines[0] == "# version=2022"
    header = [f.strip() for f in lines[1].split("|")]
    first = dict(zip(header, (v.strip() for v in lines[2].split("|"))))
    # GJ15 Leda.dat line 1: 1996-06-24, UTC fraction 0.64486111 d; 18 58 49.98690 -22 31 07.7770; 39/26 mas
    assert first["permID"] == "Jupiter 13" and first["mode"] == "CCD" and first["stn"] == "874"
    assert first["obsTime"].startswith("1996-06-24T03:28:3") and first["obsTime"].endswith("Z")
    assert (first["rmsRA"], first["rmsDec"], first["astCat"], first["sys"]) == ("0.03900", "0.02600", "UCAC4", "")
    occ = dict(zip(header, (v.strip() for v in lines[-2].split("|"))))
    assert (occ["mode"], occ["stn"], occ["rmsCorr"], occ["astCat"]) == ("OCC", "244", "0.12", "Gaia3E")
    explicit = dict(zip(header, (v.strip() for v in lines[-1].split("|"))))
    assert (explicit["stn"], explicit["sys"], explicit["ctr"], explicit["pos1"]) == (
        "275", "ICRF_KM", "399", "-3001.808700")


def test_ades_xml_has_the_required_fields(mixed, tmp_path):
    path = tmp_path / "leda.xml"
    write_ades(mixed, path)
    root = ElementTree.parse(path).getroot()
    assert root.tag == "ades" and root.get("version") == "2022"
    optical = root.findall("optical")
    assert len(optical) == len(mixed)
    for record in optical:
        tags = [child.tag for child in record]
        assert any(t in tags for t in REQUIRED_ONE_OF)
        assert all(t in tags for t in REQUIRED_OPTICAL), tags
        assert all(record.find(t).text for t in REQUIRED_OPTICAL)


def test_ades_refuses_rows_it_cannot_carry(leda_gj15, tmp_path):
    barycentric = leda_gj15[:2].copy()
    barycentric.replace_column("obs_frame", ["barycentric"] * 2)          # e.g. Gaia rows
    with pytest.raises(ValueError, match="Leda.dat:1: a barycentric observer position"):
        write_ades(barycentric, tmp_path / "gaia.psv")
    with pytest.raises(ValueError, match="expected an ADES file name ending in .psv or .xml"):
        write_ades(leda_gj15, tmp_path / "leda.txt")
    assert os.listdir(tmp_path) == []


@pytest.fixture(scope="module")
def solution(leda_gj15, ephemeris):
    return fit_orbit(leda_gj15, gomes_junior_2016_orbit("Leda", ephemeris), FitOptions())


def test_ades_residual_fields(solution, tmp_path):
    path = tmp_path / "leda_res.xml"
    write_ades(solution.observations, path, residuals=solution.residuals())
    res = solution.residuals()
    records = ElementTree.parse(path).getroot().findall("optical")
    got_ra = np.array([float(r.find("resRA").text) for r in records])
    got_dec = np.array([float(r.find("resDec").text) for r in records])
    assert np.allclose(got_ra, res["res_ra_mas"].to_value("arcsec"), atol=5e-4, rtol=0)
    assert np.allclose(got_dec, res["res_dec_mas"].to_value("arcsec"), atol=5e-4, rtol=0)
    assert [r.find("selAst").text for r in records] == ["A" if a else "D" for a in res["accepted"]]
    back, report = read_ades(str(path))                 # the residual fields do not disturb the reader
    assert report.kept == len(res)


def test_mpc_residual_listing(solution, tmp_path):
    path = tmp_path / "leda_residuals.txt"
    assert write_mpc_residuals(solution, path) == len(solution.observations)
    lines = open(path).read().splitlines()
    assert lines[0] == "# orbitfit residuals: Leda (NAIF 513)"
    assert f"dof {solution.dof}" in lines[3] and f"chi2 {solution.chi2:.3f}" in lines[3]
    body = [line for line in lines if not line.startswith("#")]
    res = solution.residuals()
    assert len(body) == len(res)
    for i in (0, 1, 40, len(res) - 1):
        year, month, day, site, ra, dec, flag, kind, where = body[i].split()
        assert (year, month, day[:2]) == ("1996", "06", "24") or i > 1
        assert site == res["observer"][i] and where == f"{res['source'][i]}:{res['line'][i]}"
        assert float(ra) == pytest.approx(res["res_ra_mas"][i].to_value("arcsec"), abs=5e-4)
        assert float(dec) == pytest.approx(res["res_dec_mas"][i].to_value("arcsec"), abs=5e-4)
        assert flag == ("-" if res["accepted"][i] else "R")
    summary = {line.split()[1]: line.split()[2:] for line in lines[lines.index(
        next(line for line in lines if line.startswith("# per-site"))) + 1:]}
    assert sorted(summary) == ["511", "809", "874"]
    assert sum(int(v[0]) for v in summary.values()) == len(res)
    assert sum(int(v[1]) for v in summary.values()) == int((~res["accepted"]).sum())
    stats = solution.statistics(by="observer")
    for row in stats:
        assert float(summary[row["observer"]][2]) == pytest.approx(row["mean_ra_mas"].to_value("arcsec"), abs=5e-4)
        assert float(summary[row["observer"]][5]) == pytest.approx(row["std_dec_mas"].to_value("arcsec"), abs=5e-4)


def test_rejected_rows_are_flagged(solution, tmp_path):
    """The Leda fit rejects nothing: mark row 5 rejected to see the flag, the per-site count and selAst D."""
    accepted = np.array(solution.accepted, bool)
    accepted[5] = False
    flagged = dataclasses.replace(solution, accepted=accepted)
    write_mpc_residuals(flagged, tmp_path / "flagged.txt")
    lines = open(tmp_path / "flagged.txt").read().splitlines()
    body = [line for line in lines if not line.startswith("#")]
    assert [i for i, line in enumerate(body) if line.split()[6] == "R"] == [5]
    site = str(flagged.observations["observer"][5])
    assert next(line for line in lines if line.startswith(f"# {site:>4} ")).split()[3] == "1"
    assert "accepted 97, rejected 1" in lines[2]
    write_ades(flagged.observations, tmp_path / "flagged.xml", residuals=flagged.residuals())
    sel = [r.find("selAst").text for r in ElementTree.parse(tmp_path / "flagged.xml").getroot().findall("optical")]
    assert sel.count("D") == 1 and sel[5] == "D"
