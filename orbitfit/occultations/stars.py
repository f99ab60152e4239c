"""Stars as occultation targets: Gaia DR3 positions carried by their space motion to any instant and seen from
any observer (`Star`).

Units: degrees, mas, mas/yr, km/s; times in TDB seconds past J2000 (`orbitfit.times`).
"""
from __future__ import annotations

import numpy as np

from dynamics import constants as C

from ..times import JULIAN_YEAR_S, epoch_tdb_seconds, to_tdb_seconds
from ..units import to_value

MAS_PER_RAD = 180.0 / np.pi * 3600.0e3
GAIA_DR3_EPOCH_JYEAR = 2016.0                 # Gaia DR3 reference epoch (ref_epoch), Julian year TDB

# Star.from_table's columns: Star argument -> accepted names, Gaia archive first, then VizieR (I/355/gaiadr3)
TABLE_COLUMNS = {"ra_deg": ("ra", "RA_ICRS"), "dec_deg": ("dec", "DE_ICRS"), "pmra_mas_yr": ("pmra", "pmRA"),
                 "pmdec_mas_yr": ("pmdec", "pmDE"), "parallax_mas": ("parallax", "Plx"),
                 "radial_velocity_km_s": ("radial_velocity", "RV"), "mag": ("phot_g_mean_mag", "Gmag", "mag"),
                 "source_id": ("source_id", "SOURCE_ID", "Source"), "epoch": ("ref_epoch", "Epoch")}
# the documented unit of each numeric argument (astropy Quantities and table columns with units are converted)
UNITS = {"ra_deg": "deg", "dec_deg": "deg", "pmra_mas_yr": "mas/yr", "pmdec_mas_yr": "mas/yr",
         "parallax_mas": "mas", "radial_velocity_km_s": "km/s", "mag": "mag"}
# what a catalogue value can be; beyond it a row is broken (a unit or a column mixed up, an MJD for an epoch): the
# fastest star, Barnard's, moves 10.4 arcsec/yr; the nearest, Proxima, has a parallax of 768 mas; the fastest
# hypervelocity stars ~1 700 km/s. [low, high]; empty cells are allowed where a value may be unknown.
TABLE_RANGES = {"ra_deg": (0.0, 360.0), "dec_deg": (-90.0, 90.0), "pmra_mas_yr": (-20000.0, 20000.0),
                "pmdec_mas_yr": (-20000.0, 20000.0), "parallax_mas": (-1000.0, 1000.0),
                "radial_velocity_km_s": (-3000.0, 3000.0), "mag": (-2.0, 30.0), "epoch": (1800.0, 2200.0)}


class Star:
    """One star or a catalogue of n stars (every attribute an (n,) array), Gaia DR3 style.

    ra_deg, dec_deg : ICRS position at the catalogue epoch, degrees.
    pmra_mas_yr : proper motion in RA * cos(Dec) (Gaia `pmra`), mas/yr; pmdec_mas_yr : in Dec, mas/yr.
    parallax_mas : mas; <= 0 or NaN = at infinity (no parallax, radial velocity ignored).
    radial_velocity_km_s : km/s (0 if unknown; it matters only through perspective acceleration).
    epoch : catalogue epoch, a Julian year (default 2016.0 = Gaia DR3), 'J2016.0' or an astropy Time; one value or
        one per star (e.g. star positions already carried to each event, as in the tables of Gomes-Junior et al. 2016).
    mag : magnitude (e.g. Gaia G), NaN if unknown. source_id : identifiers (default: the row numbers).
    Every number may be an astropy Quantity (7.14 * u.hourangle, 1.2 * u.arcsec / u.yr): it is converted to the
    unit above, and a unit of the wrong kind raises astropy.units.UnitConversionError naming the argument. The first
    argument may be a SkyCoord instead (see `from_skycoord`).

    Space motion: uniform rectilinear motion of the star in the BCRS; astropy's `apply_space_motion` (ERFA pmsafe)
    agrees to < 1 uas even for 300 mas / 300 mas/yr / 80 km/s stars over 8 years (tests). SORA's `spatial_motion`
    adds the star's light-time factor (Butkevich & Lindegren 2014), a ~v_r/c relative change of the displacement,
    < 0.01 mas for 100 mas/yr over a decade. The direction from an observer at barycentric position o (km) is that
    of
        r0 + (p0 pmra + q0 pmdec) dt + r0 v_r dt / b0 - o / b0,     b0 = 1 au / parallax,
    where r0, p0, q0 are the unit vectors toward the star, east and north at the catalogue epoch.
    """

    def __init__(self, ra_deg, dec_deg=None, pmra_mas_yr=0.0, pmdec_mas_yr=0.0, parallax_mas=0.0,
                 radial_velocity_km_s=0.0, epoch=GAIA_DR3_EPOCH_JYEAR, mag=np.nan, source_id=None):
        if hasattr(ra_deg, "frame") and hasattr(ra_deg, "represent_as"):          # a SkyCoord (or a frame)
            if dec_deg is not None:
                raise TypeError("Star(coord): the SkyCoord holds the position; give no dec_deg")
            (ra_deg, dec_deg, pmra_mas_yr, pmdec_mas_yr, parallax_mas, radial_velocity_km_s,
             epoch) = _skycoord_values(ra_deg, None if epoch is GAIA_DR3_EPOCH_JYEAR else epoch)   # default: obstime
        if dec_deg is None:
            raise TypeError("Star: give ra_deg and dec_deg, or a SkyCoord")
        ra = np.atleast_1d(to_value(ra_deg, UNITS["ra_deg"], "ra_deg"))
        n = ra.size
        value = lambda x, name: np.broadcast_to(to_value(x, UNITS[name], name), (n,)).copy()
        zero_if_nan = lambda x, name: np.nan_to_num(value(x, name), nan=0.0)
        self.ra_deg = ra
        self.dec_deg = value(dec_deg, "dec_deg")
        self.pmra_mas_yr = zero_if_nan(pmra_mas_yr, "pmra_mas_yr")
        self.pmdec_mas_yr = zero_if_nan(pmdec_mas_yr, "pmdec_mas_yr")
        self.parallax_mas = value(parallax_mas, "parallax_mas")
        self.radial_velocity_km_s = zero_if_nan(radial_velocity_km_s, "radial_velocity_km_s")
        if getattr(epoch, "unit", None) is not None and not isinstance(epoch, str):     # a Julian year Quantity
            epoch = to_value(epoch, "yr", "epoch")
        self.epoch_tdb = np.broadcast_to(epoch_tdb_seconds(epoch), (n,)).astype(float)
        self.mag = value(mag, "mag")
        self.source_id = np.arange(n) if source_id is None else np.broadcast_to(np.asarray(source_id), (n,)).copy()
        self._precompute()

    def _precompute(self):
        ra, dec = np.radians(self.ra_deg), np.radians(self.dec_deg)
        sa, ca, sd, cd = np.sin(ra), np.cos(ra), np.sin(dec), np.cos(dec)
        self._r0 = np.stack([cd * ca, cd * sa, sd], axis=-1)
        p0 = np.stack([-sa, ca, np.zeros_like(ra)], axis=-1)
        q0 = np.stack([-sd * ca, -sd * sa, cd], axis=-1)
        mas_per_yr = 1.0 / (MAS_PER_RAD * JULIAN_YEAR_S)                       # -> rad/s
        self._pm = (p0 * self.pmra_mas_yr[:, None] + q0 * self.pmdec_mas_yr[:, None]) * mas_per_yr
        finite = np.isfinite(self.parallax_mas) & (self.parallax_mas > 0)
        self._inv_b0 = np.where(finite, np.nan_to_num(self.parallax_mas) / MAS_PER_RAD / C.AU_KM, 0.0)   # 1/km
        self._rv_term = self.radial_velocity_km_s * self._inv_b0                                          # 1/s

    @classmethod
    def from_skycoord(cls, coord, mag=np.nan, source_id=None, epoch=None):
        """Stars from an astropy SkyCoord (one or many), transformed to ICRS: position, proper motion
        (pm_ra_cosdec, pm_dec) if it has velocities, parallax from its distance if it has one (none: at infinity),
        radial velocity if it has one, and its obstime as the catalogue epoch (`epoch` overrides it; neither:
        2016.0)."""
        return cls(*_skycoord_values(coord, epoch), mag=mag, source_id=source_id)

    @classmethod
    def from_table(cls, table, epoch=None):
        """Stars from a table with Gaia DR3 column names, as the Gaia archive names them (ra, dec, pmra, pmdec,
        parallax, radial_velocity, phot_g_mean_mag, source_id, ref_epoch) or as VizieR does (RA_ICRS, DE_ICRS,
        pmRA, pmDE, Plx, RV, Gmag, Source, Epoch); also `mag`. Columns with units (or a QTable) are converted;
        masked cells (missing RV, parallax) count as unknown. `epoch` overrides the table's (default 2016.0).
        A value no star has (TABLE_RANGES: an MJD as the epoch, a unit mixed up) raises ValueError naming the data
        row and the column (`check_table`)."""
        columns = table_columns(table)
        check_table(columns)
        if "epoch" in columns:
            columns["epoch"] = np.ma.filled(np.ma.asarray(_julian_year_text(columns["epoch"]), dtype=float), np.nan)
        if epoch is not None:
            columns["epoch"] = epoch
        if "source_id" in columns:
            columns["source_id"] = np.asarray(columns["source_id"])
        return cls(**columns)

    def __len__(self):
        return self.ra_deg.size

    def __getitem__(self, index):
        index = np.atleast_1d(np.arange(len(self))[index])
        new = Star.__new__(Star)
        for name in ("ra_deg", "dec_deg", "pmra_mas_yr", "pmdec_mas_yr", "parallax_mas", "radial_velocity_km_s",
                     "epoch_tdb", "mag", "source_id", "_r0", "_pm", "_inv_b0", "_rv_term"):
            setattr(new, name, getattr(self, name)[index])
        return new

    def __repr__(self):
        if len(self) == 1:
            return (f"Star(ra={self.ra_deg[0]:.8f}, dec={self.dec_deg[0]:+.8f}, pm=({self.pmra_mas_yr[0]:.3f}, "
                    f"{self.pmdec_mas_yr[0]:.3f}) mas/yr, parallax={self.parallax_mas[0]:.4f} mas, "
                    f"mag={self.mag[0]:.2f}, id={self.source_id[0]})")
        return f"Star(<{len(self)} stars>)"

    def direction(self, tdb_seconds, observer_ssb=None, rows=None):
        """(n, 3) unit vectors toward the stars at TDB epochs (scalar or (n,)), seen from barycentric observer
        positions (3,) or (n, 3) km (None: from the barycentre). `rows` picks stars (repeats allowed)."""
        r0, pm, inv_b0, rv = ((self._r0, self._pm, self._inv_b0, self._rv_term) if rows is None else
                              (self._r0[rows], self._pm[rows], self._inv_b0[rows], self._rv_term[rows]))
        epoch = self.epoch_tdb if rows is None else self.epoch_tdb[rows]
        dt = (np.asarray(to_tdb_seconds(tdb_seconds, "tdb_seconds"), dtype=float) - epoch)[..., None]
        w = r0 * (1.0 + rv[:, None] * dt) + pm * dt
        if observer_ssb is not None:
            w = w - np.asarray(observer_ssb, dtype=float) * inv_b0[:, None]
        return w / np.linalg.norm(w, axis=-1, keepdims=True)

    def radec(self, tdb_seconds, observer_ssb=None):
        """RA, Dec (degrees) at TDB epochs seen from barycentric observer positions (None: barycentric)."""
        from ..model import radec_from_unit
        ra, dec = radec_from_unit(np.atleast_2d(self.direction(tdb_seconds, observer_ssb)))
        return np.degrees(ra), np.degrees(dec)

    def geocentric_radec(self, tdb_seconds, ephemeris=None):
        """RA, Dec (degrees) seen from the geocentre at TDB epochs (the Earth from the DE ephemeris)."""
        from dynamics.propagation import default_ephemeris
        ephemeris = ephemeris or default_ephemeris()
        t = np.broadcast_to(np.asarray(to_tdb_seconds(tdb_seconds, "tdb_seconds"), dtype=float), (len(self),))
        return self.radec(t, ephemeris.position(C.EARTH, t))


def table_columns(table):
    """{Star argument: column} of a table with Gaia DR3 or VizieR names (TABLE_COLUMNS); KeyError without RA/Dec."""
    names = set(table.colnames if hasattr(table, "colnames") else table.keys())
    columns = {}
    for argument, aliases in TABLE_COLUMNS.items():
        found = [name for name in aliases if name in names]
        if found:
            columns[argument] = table[found[0]]
    if "ra_deg" not in columns or "dec_deg" not in columns:
        raise KeyError(f"no RA/Dec columns (expected one of {TABLE_COLUMNS['ra_deg']} and of "
                       f"{TABLE_COLUMNS['dec_deg']}); the table has {sorted(names)}")
    return columns


def check_table(columns):
    """Check a star table's numeric columns ({Star argument: column}, `table_columns`) before they become Stars:
    numbers (in the column's unit, converted to the documented one) within TABLE_RANGES, RA and Dec in every row.
    Raises ValueError naming the data row (1-based) and the column; returns {argument: number of empty cells}."""
    empty = {}
    for argument, column in columns.items():
        if argument == "source_id":
            continue
        name = getattr(column, "name", argument)
        unit = UNITS.get(argument)
        values = _julian_year_text(column) if argument == "epoch" else np.ma.asarray(column)
        try:
            numbers = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)
        except (TypeError, ValueError):
            row = next(k for k, v in enumerate(values) if not _is_number(v))
            raise ValueError(f"data row {row + 1}: column {name} must hold numbers ({unit or 'a Julian year'}), "
                             f"not {str(column[row])!r}") from None
        if unit is not None and getattr(column, "unit", None) is not None:
            numbers = np.asarray(to_value(numbers * column.unit, unit, name), dtype=float)
        low, high = TABLE_RANGES[argument]
        missing = ~np.isfinite(numbers)
        if argument in ("ra_deg", "dec_deg", "epoch") and missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise ValueError(f"data row {row + 1}: {name} is empty or not finite ({int(missing.sum())} such row(s))"
                             + ("; give the catalogue epoch (2016.0 for Gaia DR3)" if argument == "epoch" else ""))
        bad = ~missing & ((numbers < low) | (numbers > high))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            what = " (a Julian year, 2016.0 for Gaia DR3; not a JD or MJD)" if argument == "epoch" else ""
            value = float(f"{numbers[row]:.12g}")           # 25 arcsec/yr reads 25000.0 mas/yr, not 24999.999...
            raise ValueError(f"data row {row + 1}: {name} = {value}{' ' + unit if unit else ''} is not in "
                             f"[{low:g}, {high:g}]{what} ({int(bad.sum())} such row(s))")
        empty[argument] = int(missing.sum())
    return empty


def _julian_year_text(column):
    """An epoch column as given, its 'J2016.0' strings without the J (the Julian year)."""
    values = np.ma.asarray(column)
    if values.dtype.kind not in "USO":
        return values
    return np.ma.masked_array([str(v).strip().removeprefix("J") for v in values.filled("")],
                              mask=np.ma.getmaskarray(values))


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return np.ma.is_masked(value)
    return True


def _skycoord_values(coord, epoch=None):
    """(ra_deg, dec_deg, pmra_mas_yr, pmdec_mas_yr, parallax_mas, radial_velocity_km_s, epoch) of a SkyCoord in
    ICRS; what it lacks is zero (motion) or infinite distance; epoch: `epoch`, else its obstime, else 2016.0."""
    import astropy.units as u
    from astropy.coordinates import UnitSphericalRepresentation
    icrs = coord.transform_to("icrs")
    data = icrs.data
    velocity = data.differentials.get("s")
    pmra = pmdec = rv = 0.0
    if velocity is not None:
        pmra, pmdec = icrs.pm_ra_cosdec, icrs.pm_dec
        if "d_distance" in velocity.components:          # a unit-sphere differential has no radial velocity
            rv = icrs.radial_velocity
    parallax = 0.0
    if not isinstance(data, UnitSphericalRepresentation) and data.norm().unit != u.one:
        parallax = icrs.distance.to(u.mas, equivalencies=u.parallax())
    if epoch is None:
        epoch = GAIA_DR3_EPOCH_JYEAR if getattr(coord, "obstime", None) is None else coord.obstime
    return icrs.ra, icrs.dec, pmra, pmdec, parallax, rv, epoch
