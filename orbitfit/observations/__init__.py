"""Observations: every astrometry format orbitfit reads, turned into one table, and where the observers were.

    from orbitfit.observations import read, Observations
    obs, report = read(data_path("gj15", "Himalia.dat"))  # any supported file, or a folder of them
    print(report)                                         # read / kept / rejected, with file:line and reasons
    himalia = obs.select(body=506)

Readers (each returns ``(Observations, ReadReport)``), one module per format:
  `gj15`      read_gj15              Gomes-Junior et al. 2015 CDS tables (fixed width)
  `nsdb`      read_nsdb              NSDB units joNNNN.txt / jgNNNN.txt, described by the .html next to them
  `mpc`       read_mpc80             MPC 80-column optical records (space-based and roving pairs included)
              read_mpc_csv           the MPC-derived CSV files of the embedded data
  `ades`      read_ades              IAU ADES, PSV or XML (occultation records: mode OCC, stn 244/275)
  `sora`      read_sora_occultation  astrometric positions printed/logged by SORA's Occultation
  `gaia_archive` read_gaia_sso       the Gaia archive's sso_observation table (DR3, FPR): CSV, ECSV, VOTable, FITS
              gaia_sso_from_table    the same from an astropy Table (a query's result)
  `formats`   read                   any of the above, chosen from the file's name and content

The rest of the subpackage: `core` (the `Observations` table, `ReadReport`, parsing helpers), `frames` (FK4 and
geodetic conversions), `observers` (where the telescopes were: MPC sites, the geocentre, spacecraft), `motion`
(Jupiter's apparent motion: what an epoch error moves a position by), `gaia` (Gaia DR3 transits as normal points),
`gaia_visits` (the error of a Gaia visit common to the moons it saw, taken out of a moon's transits), `datasets`
(every embedded data set of a satellite, deduplicated: `load_all`).

The table's columns are listed in `COLUMNS` (body, name, utc_jd1/utc_jd2, tdb [s past J2000 TDB], ra_deg,
dec_deg, sigma_ra_mas [RA*], sigma_dec_mas, corr, observer, obs_x/y/z_km, obs_frame, kind, catalog, source, line,
dataset).
"""
from .ades import read_ades
from .core import COLUMNS, ObservationFormatError, Observations, ReadReport, Rejection
from .formats import detect_format, read
from .gaia_archive import gaia_sso_from_table, read_gaia_sso
from .gj15 import read_gj15
from .mpc import read_mpc80, read_mpc_csv
from .nsdb import read_nsdb
from .sora import read_sora_occultation

__all__ = ["Observations", "ReadReport", "Rejection", "ObservationFormatError", "COLUMNS", "read", "read_gj15",
           "read_nsdb", "read_mpc80", "read_mpc_csv", "read_ades", "read_sora_occultation", "read_gaia_sso",
           "gaia_sso_from_table", "detect_format"]
