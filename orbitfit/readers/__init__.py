"""Readers of astrometry formats; each returns ``(Observations, ReadReport)``.

Use them through `orbitfit.observations` (which re-exports every reader and adds the `read` dispatcher):

* `core`  -- the `Observations` table, `ReadReport`, `ObservationFormatError` and shared parsing helpers
* `gj15`  -- Gomes-Junior et al. 2015 CDS catalogue (fixed width)
* `nsdb`  -- NSDB (IMCCE/SAI) units: a .txt data file described by the .html next to it
* `mpc`   -- MPC 80-column records and the project's MPC-derived CSV files
* `ades`  -- IAU ADES, PSV and XML
* `sora`  -- the astrometric position text printed/logged by SORA's `Occultation`
"""
