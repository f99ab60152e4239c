"""STE export: the SPK file read by jplephem, spiceypy, skyfield and SORA reproduces orbitfit's orbit and its
geocentric astrometric positions; an archived solution re-exports byte for byte."""
import numpy as np
import pytest

from dynamics import constants as C
from dynamics import propagate
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.orbit import OrbitModel
from orbitfit.model import astrometric
from orbitfit.paths import data_path
from orbitfit.observations.gj15 import read_gj15
from orbitfit.solution import Solution
from orbitfit.estimation.published import gomes_junior_2016_orbit

YEAR = 365.25 * 86400.0
SPAN = (-2 * YEAR, 28 * YEAR)          # 1998-2028


@pytest.fixture(scope="module")
def solution(ephemeris):
    """Leda without Himalia (its default model has it, orbitfit.companions): the export is checked against a bare
    dynamics.propagate here, and with Himalia alongside in test_a_companions_pull_is_kept_in_the_spk_the_samples_and_the_archive."""
    observations, _ = read_gj15(data_path("gj15", "Leda.dat"))
    return fit_orbit(observations, gomes_junior_2016_orbit("Leda", ephemeris), FitOptions(), model=OrbitModel())


@pytest.fixture(scope="module")
def kernel(solution, tmp_path_factory):
    path = tmp_path_factory.mktemp("ste") / "leda_ste.bsp"
    report = solution.to_spk(path, span=SPAN)
    print(f"SPK export: {report.n_records} records, interpolation error vs integrator {report.max_error_km * 1e3:.3f} m")
    assert report.max_error_km < 1e-3
    return report


@pytest.fixture(scope="module")
def probe_epochs():
    return np.sort(np.random.default_rng(11).uniform(SPAN[0] + 86400, SPAN[1] - 86400, 200))


def integrator(solution, epochs):
    return propagate(solution.state, solution.epoch, epochs, model=solution.model.forces,
                     ephemeris=solution.model.ephemeris).states[:, 0]


def test_jplephem_reads_the_orbit_to_a_metre(solution, kernel, probe_epochs):
    from jplephem.spk import SPK
    with SPK.open(kernel.path) as spk:
        segment = spk[5, 513]
        position = segment.compute(C.J2000_JD, probe_epochs / 86400.0).T        # split date: sub-mm
    gap = np.linalg.norm(position - integrator(solution, probe_epochs)[:, :3], axis=1).max()
    print(f"jplephem vs integrator: {gap * 1e3:.3f} m")
    assert gap < 1e-3


def test_spiceypy_reads_the_orbit_and_the_provenance(solution, kernel, probe_epochs):
    import spiceypy
    spiceypy.furnsh(kernel.path)
    try:
        positions = np.array([spiceypy.spkgps(513, t, "J2000", 5)[0] for t in probe_epochs])
        handle = spiceypy.dafopr(kernel.path)
        comments = spiceypy.dafec(handle, 100)[1]
        spiceypy.dafcls(handle)
    finally:
        spiceypy.unload(kernel.path)
    gap = np.linalg.norm(positions - integrator(solution, probe_epochs)[:, :3], axis=1).max()
    print(f"spiceypy vs integrator: {gap * 1e3:.3f} m")
    assert gap < 1e-3
    text = " ".join(comments)
    assert "orbitfit special-tailored ephemeris" in text and "gj15 98" in text and "de440.bsp" in text


def orbitfit_geocentric(solution, ephemeris, tdb):
    def target(t):
        return integrator(solution, np.asarray(t)) + ephemeris.state(C.JUPITER_BARY, t)
    earth = ephemeris.position(C.EARTH, tdb)
    result = astrometric(tdb, earth, target)
    return result.ra_deg, result.dec_deg


def separation_mas(ra1, dec1, ra2, dec2):
    d_ra = (np.asarray(ra1) - ra2 + 180) % 360 - 180
    return np.hypot(d_ra * np.cos(np.radians(dec2)), np.asarray(dec1) - dec2) * 3.6e6


def test_skyfield_with_the_de_kernel_gives_orbitfits_astrometric_position(solution, kernel, ephemeris, probe_epochs):
    from skyfield.api import load_file
    from skyfield_reference import skyfield_timescale
    de = load_file(ephemeris.de_kernel)
    ste = load_file(kernel.path)
    leda = de["jupiter barycenter"] + ste.segments[0]         # 0 -> 5 from the DE, 5 -> 513 from the STE
    ts = skyfield_timescale()
    epochs = probe_epochs[::10]
    times = ts.tdb_jd(C.J2000_JD, epochs / 86400.0)
    ra, dec, _ = de["earth"].at(times).observe(leda).radec()
    ours_ra, ours_dec = orbitfit_geocentric(solution, ephemeris, epochs)
    gap = separation_mas(ours_ra, ours_dec, ra.degrees, dec.degrees).max()
    print(f"skyfield (STE + DE440) vs orbitfit, geocentric astrometric: {gap:.1e} mas")
    assert gap < 0.1


def test_sora_ephemkernel_gives_orbitfits_astrometric_position(solution, kernel, ephemeris, probe_epochs):
    sora_ephem = pytest.importorskip("sora.ephem")
    from astropy.time import Time
    ephem = sora_ephem.EphemKernel(kernels=[kernel.path, ephemeris.de_kernel], spkid="513", name="Leda")
    epochs = probe_epochs[::20]
    times = Time(C.J2000_JD, epochs / 86400.0, format="jd", scale="tdb")
    position = ephem.get_position(times, observer="geocenter")
    ours_ra, ours_dec = orbitfit_geocentric(solution, ephemeris, epochs)
    gap = separation_mas(ours_ra, ours_dec, position.ra.deg, position.dec.deg).max()
    print(f"SORA EphemKernel (STE + DE440) vs orbitfit, geocentric astrometric: {gap:.1e} mas")
    assert gap < 0.1


@pytest.fixture(scope="module")
def heliocentric_kernel(solution, tmp_path_factory):
    path = tmp_path_factory.mktemp("ste") / "leda_ste_sun.bsp"
    report = solution.to_spk(path, span=SPAN, center=10)
    assert report.center == 10 and report.max_error_km < 1e-3
    return report


def skyfield_geocentric(kernel_path, de_path, epochs):
    """RA, Dec (deg) of the STE's body as skyfield sees it with the DE file `de_path` supplying the Earth and the
    segment's centre."""
    from skyfield.api import load_file
    from skyfield_reference import skyfield_timescale
    de, ste = load_file(de_path), load_file(kernel_path)
    segment = ste.segments[0]
    body = (de["sun"] if segment.center == 10 else de["jupiter barycenter"]) + segment
    times = skyfield_timescale().tdb_jd(C.J2000_JD, epochs / 86400.0)
    ra, dec, _ = de["earth"].at(times).observe(body).radec()
    return ra.degrees, dec.degrees


def test_a_sun_centred_kernel_is_read_alike_with_any_planetary_ephemeris(solution, kernel, heliocentric_kernel,
                                                                        ephemeris, probe_epochs):
    """The kernel centred on 5 is the fitted orbit only with the DE of the fit (DE440): read with DE421 the
    geocentric place moves by the two DEs' difference at Jupiter (several mas over 1998-2028). Centred on 10 the
    kernel carries DE440's Jupiter, and DE421 then supplies only the Earth's heliocentric place (< 0.2 mas)."""
    from dynamics.ephemeris import de421_kernel_path
    epochs = probe_epochs[::5]
    ours_ra, ours_dec = orbitfit_geocentric(solution, ephemeris, epochs)
    gaps = {}
    for name, report in (("centre 5", kernel), ("centre 10", heliocentric_kernel)):
        for de_name, de_path in (("DE440", ephemeris.de_kernel), ("DE421", de421_kernel_path())):
            ra, dec = skyfield_geocentric(report.path, de_path, epochs)
            gaps[name, de_name] = separation_mas(ours_ra, ours_dec, ra, dec).max()
    print("geocentric place read by skyfield vs orbitfit (max, mas): "
          + ", ".join(f"{k[0]} + {k[1]} {v:.3f}" for k, v in gaps.items()))
    assert gaps["centre 5", "DE440"] < 0.1 and gaps["centre 10", "DE440"] < 0.1
    assert gaps["centre 10", "DE421"] < 0.2
    assert gaps["centre 5", "DE421"] > 5.0          # measured 1998-2028: up to ~21 mas


def test_sora_reads_a_sun_centred_kernel_with_any_planetary_ephemeris(solution, heliocentric_kernel, ephemeris,
                                                                      probe_epochs):
    sora_ephem = pytest.importorskip("sora.ephem")
    from astropy.time import Time
    from dynamics.ephemeris import de421_kernel_path
    epochs = probe_epochs[::20]
    times = Time(C.J2000_JD, epochs / 86400.0, format="jd", scale="tdb")
    ours_ra, ours_dec = orbitfit_geocentric(solution, ephemeris, epochs)
    for de_path, tolerance in ((ephemeris.de_kernel, 0.1), (de421_kernel_path(), 0.2)):
        ephem = sora_ephem.EphemKernel(kernels=[heliocentric_kernel.path, de_path], spkid="513", name="Leda")
        position = ephem.get_position(times, observer="geocenter")
        gap = separation_mas(ours_ra, ours_dec, position.ra.deg, position.dec.deg).max()
        print(f"SORA EphemKernel (centre-10 STE + {de_path}) vs orbitfit: {gap:.2e} mas")
        assert gap < tolerance


def test_the_kernel_says_which_planetary_ephemeris_to_read_it_with(kernel, heliocentric_kernel, tmp_path, solution):
    jupiter_centred, sun_centred = " ".join(kernel.comment), " ".join(heliocentric_kernel.comment)
    assert "centre 5 (Jupiter barycentre)" in jupiter_centred and "read this kernel with that DE" in jupiter_centred
    assert "centre 10 (Sun)" in sun_centred and "a reader's DE adds only the Earth's" in sun_centred
    assert "read this kernel with that DE" not in sun_centred
    with pytest.raises(ValueError, match="center must be one of"):
        solution.to_spk(tmp_path / "bad.bsp", span=SPAN, center=0)


def test_archive_then_export_is_byte_identical(solution, kernel, tmp_path):
    archive = solution.save(tmp_path / "leda.h5")
    again = Solution.load(archive).to_spk(tmp_path / "again.bsp", span=SPAN)
    assert open(again.path, "rb").read() == open(kernel.path, "rb").read()


def test_type3_and_bad_spans(solution, tmp_path, probe_epochs):
    from jplephem.spk import SPK
    report = solution.to_spk(tmp_path / "t3.bsp", span=SPAN, spk_type=3)
    with SPK.open(report.path) as spk:
        state = spk[5, 513].compute(C.J2000_JD, probe_epochs / 86400.0).T      # type 3: position and velocity
    truth = integrator(solution, probe_epochs)
    assert np.linalg.norm(state[:, :3] - truth[:, :3], axis=1).max() < 1e-3
    assert np.linalg.norm(state[:, 3:] - truth[:, 3:], axis=1).max() < 1e-8           # km/s
    with pytest.raises(ValueError, match="increasing"):
        solution.to_spk(tmp_path / "bad.bsp", span=(SPAN[1], SPAN[0]))
    with pytest.raises(ValueError, match="spk_type must be 2 or 3"):
        solution.to_spk(tmp_path / "bad.bsp", span=SPAN, spk_type=13)


def test_a_companions_pull_is_kept_in_the_spk_the_samples_and_the_archive(ephemeris, tmp_path):
    """Leda fitted with Himalia's GM acting on it (seed 003 eq. 1): the SPK, the sampled states and a reloaded
    archive all integrate Himalia alongside, checked against a direct two-satellite dynamics.propagate."""
    from dataclasses import replace
    from jplephem.spk import SPK
    from orbitfit.products.uncertainty import sky_uncertainty
    observations, _ = read_gj15(data_path("gj15", "Leda.dat"))
    himalia = gomes_junior_2016_orbit("Himalia", ephemeris)
    with_himalia = OrbitModel(companions=((himalia, C.GM_HIMALIA),))
    leda = fit_orbit(observations, gomes_junior_2016_orbit("Leda", ephemeris), FitOptions(), model=with_himalia)
    epochs = np.linspace(SPAN[0] + 86400, SPAN[1] - 86400, 60)
    model = replace(with_himalia.forces, satellite_gm=(0.0, C.GM_HIMALIA))
    together = propagate(np.vstack([leda.state, himalia.state]), leda.epoch, epochs, model=model,
                         ephemeris=ephemeris).states[:, 0, :3]
    alone = propagate(leda.state, leda.epoch, epochs, model=with_himalia.forces, ephemeris=ephemeris).states[:, 0, :3]
    assert np.linalg.norm(together - alone, axis=1).max() > 1.0          # km: Himalia's pull matters
    report = leda.to_spk(tmp_path / "leda.bsp", span=SPAN)
    kernel = SPK.open(report.path)
    try:
        from_spk = np.array([kernel[5, 513].compute(C.J2000_JD, t / 86400.0) for t in epochs])
    finally:
        kernel.close()
    assert np.linalg.norm(from_spk - together, axis=1).max() < 1e-3
    samples = leda.sample(span=(epochs[0], epochs[-1]), every_days=(epochs[1] - epochs[0]) / 86400.0)
    assert np.linalg.norm(samples["states"][:, :3] - together, axis=1).max() < 1e-3
    loaded = Solution.load(leda.save(tmp_path / "leda.h5"))
    (orbit, gm), = loaded.model.companions
    assert orbit.body == 506 and gm == C.GM_HIMALIA and np.array_equal(orbit.state, himalia.state)
    np.testing.assert_array_equal(sky_uncertainty(loaded, epochs[:5])["sigma_ra_mas"],
                                  sky_uncertainty(leda, epochs[:5])["sigma_ra_mas"])


def test_json_tables_are_strict(tmp_path):
    """A missing value (NaN) is null in a JSON table, which any strict JSON parser reads (it was a bare NaN)."""
    import json
    from astropy.table import Table
    from orbitfit.products.export import write_table

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    table = Table({"mag": [12.5, np.nan], "tdb": [1.0, 2.0]})
    table.meta["note"] = "two events"
    path = write_table(table, tmp_path / "events.json")
    data = json.loads(open(path, encoding="utf-8").read(), parse_constant=refuse)
    assert [row["mag"] for row in data["rows"]] == [12.5, None] and data["meta"]["note"] == "two events"


def test_a_models_given_constants_are_recorded_and_restored():
    """Other constants than dynamics.constants' (ForceModel's gm/zonal fields) travel with a solution's record, so a
    kernel re-exported from an archive integrates the same force; a record without them (older archives) keeps the
    constants' values."""
    import json
    from dynamics import ForceModel
    forces = ForceModel(gm_jupiter_km3_s2=C.GM_JUPITER + 2.5, zonal_j246=(C.JUPITER_J2 + 1e-7, C.JUPITER_J4, 0.0),
                        gm_galileans_km3_s2=(5959.9, 3202.7, 9887.8, 7179.3))
    record = json.loads(json.dumps(OrbitModel(forces=forces).describe()))
    assert OrbitModel.from_description(record).forces == forces
    for key in ("gm_jupiter_km3_s2", "zonal_j246", "gm_galileans_km3_s2"):
        del record["forces"][key]
    assert OrbitModel.from_description(record).forces == ForceModel()
