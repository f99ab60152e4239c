"""Keep astropy offline: no IERS or leap-second downloads, no staleness errors.

orbitfit must run on machines without network (CI, telescopes, laptops on planes). astropy's bundled IERS tables
(package astropy-iers-data) give UT1-UTC and polar motion; outside their span astropy warns and extrapolates,
which for Jupiter costs < 0.2 mas of topocentric parallax even for a 1 s UT1 error (shared/DESIGN.md).
"""


def configure():
    """Disable every astropy download; called once at `import orbitfit`."""
    import astropy.utils.data
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None          # never refuse the bundled tables for being old
    astropy.utils.data.conf.allow_internet = False
    # Epochs beyond the bundled table (predictions, old plates): warn and use the table's edge values instead of
    # raising, because the resulting UT1 error is sub-mas at Jupiter (see module docstring).
    iers.conf.iers_degraded_accuracy = "warn"
