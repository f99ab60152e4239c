"""Residuals against an SPK file equal residuals against the propagated orbit the file was written from."""
import astropy.units as u
import numpy as np

from dynamics import propagate
from orbitfit.estimation.options import FitOptions
from orbitfit.orbit import Orbit
from orbitfit.paths import data_path
from orbitfit.observations.gj15 import read_gj15
from orbitfit.residuals import compute_residuals, residual_statistics
from orbitfit.estimation.published import gomes_junior_2016_orbits

from skyfield_reference import write_type2_spk


def test_residuals_from_spk_file_equal_residuals_from_orbit(tmp_path, ephemeris):
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    observations = observations[(observations["tdb"] > 2.5e8) & (observations["tdb"] < 3.5e8)]    # 2007-2011
    orbit = Orbit(506, 0.0, gomes_junior_2016_orbits()["Himalia"].state_from_barycentre(ephemeris))
    start, stop = 2.4e8, 3.6e8

    interval, degree = 4 * 86400.0, 12
    nodes = np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))
    mids = start + (np.arange(int(np.ceil((stop - start) / interval))) + 0.5) * interval
    times = (mids[:, None] + 0.5 * interval * nodes[None, :]).ravel()
    states = dict(zip(times.tolist(), propagate(orbit.state, orbit.epoch, times, ephemeris=ephemeris).states[:, 0]))

    def state_of(t):                      # one propagation serves every record's Chebyshev nodes
        return np.array([states[x] for x in np.asarray(t).tolist()])

    path = write_type2_spk(tmp_path / "himalia.bsp", 506, 5, state_of, start, stop, interval_s=interval, degree=degree)
    from_orbit = compute_residuals(observations, orbit)
    from_spk = compute_residuals(observations, str(path))
    gap = np.hypot(from_orbit["res_ra_mas"] - from_spk["res_ra_mas"], from_orbit["res_dec_mas"] - from_spk["res_dec_mas"])
    print(f"O-C via SPK vs via orbit: max {gap.max():.2e} mas over {len(gap)} observations")
    assert gap.max() < 0.01 * u.mas
    stats = residual_statistics(from_spk, by="year")
    assert set(stats["year"]) <= {"2007", "2008", "2009", "2010", "2011"} and stats["n"].sum() == len(observations)
