# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reduce a real occultation: Ganymede, 2020 December 21
#
# Eleven stations in the USA timed the occultation of a G = 7.4 star by Ganymede (Morgado et al. 2022, AJ 163, 240:
# event b). The event file `data/occultation_events/ganymede_2020-12-21.toml` holds what the paper published — the
# star (Table 1), each station's coordinates (Table 6) and its disappearance and reappearance times with their σ
# (Table 2) — and the paper's result (Table 4) to compare with; the sidecar `.source.txt` says where every number
# comes from. We turn the chords into Ganymede's geocentric astrometric position, as the paper did, and compare.
#
# **How** (`orbitfit.occultations`): each contact instant becomes the station's position relative to the predicted
# shadow centre on the fundamental plane (Bessel's geometry); the limb is Ganymede's ellipsoid (Zubarev et al. 2015
# axes, IAU rotation) projected at the event from the sub-observer point; its centre is fitted to the contacts by
# weighted least squares (timing σ along the station's motion, the topography's σ radially). The centre is then
# written as an astrometric position: the star's direction plus the measured offset, so the moon's ephemeris (here
# orbitfit's built-in Galilean theory) cancels to first order.
#
# **Conventions**: time TDB inside, UTC in and out; ICRF; offsets (f, g) in km towards east and north; RA* = Δα cos δ.

# %%
# %matplotlib inline
import math
import time
from pathlib import Path

import numpy as np
from astropy.table import Table
from IPython.display import display

from dynamics.propagation import default_ephemeris
from orbitfit.occultations import EphemerisTarget, Shape, embedded_shape, read_event
from orbitfit.paths import data_path
from orbitfit.times import iso_utc

OUT = Path("tmp/out/05_real_occultation")
OUT.mkdir(parents=True, exist_ok=True)
t_start = time.perf_counter()
ephemeris = default_ephemeris()

# %% [markdown]
# ## 1. The event file

# %%
path = data_path("occultation_events", "ganymede_2020-12-21.toml")
event, options = read_event(path)
print(f"{event.name}: body {event.body}, star {event.star.source_id[0]} (G {event.star.mag[0]:.2f}), "
      f"{len(event.chords)} chords; shape: {'embedded' if event.radius_km is None else event.radius_km}")
display(Table(rows=[(c.name, "-" if c.start is None else iso_utc(c.start, 3)[11:],
                     "-" if c.end is None else iso_utc(c.end, 3)[11:], *c.sigmas()) for c in event.chords],
              names=("station", "disappearance UTC", "reappearance UTC", "σ start (s)", "σ end (s)")))
print(options["source"])

# %% [markdown]
# ## 2. Reduce
#
# `reduce` takes the body as a fitted `Solution` or, as here, a state callable: `EphemerisTarget(503)` is Ganymede
# in orbitfit's default ephemeris. Tucson's recording began after the disappearance: its reappearance alone counts.

# %%
fit = event.reduce(EphemerisTarget(event.body, ephemeris), ephemeris=ephemeris)
print(fit.summary())
fig = fit.plot(OUT / "ganymede_2020-12-21_chords.png")
display(fig)

# %% [markdown]
# ## 3. Against the published position
#
# Table 4 gives the position at 00:49:00.000 UTC; the measured offset from the prediction is constant over the
# minutes of the event, so `fit.radec(instant)` gives our position at that instant.

# %%
published = options["published"]
ra, dec, cov = fit.radec(published["tdb"])
d_ra = (ra - published["ra_deg"]) * 3.6e6 * math.cos(math.radians(dec))
d_dec = (dec - published["dec_deg"]) * 3.6e6
print(f"ours - {published['source']}: RA* {d_ra:+.2f} mas, Dec {d_dec:+.2f} mas")
print(f"sigma: ours {math.sqrt(cov[0, 0]):.2f} / {math.sqrt(cov[1, 1]):.2f} mas, published "
      f"{published['sigma_ra_mas']} / {published['sigma_dec_mas']} mas")
tolerance = [max(2.0, 1.5 * published["sigma_ra_mas"]), max(2.0, 1.5 * published["sigma_dec_mas"])]
print(f"within max(2 mas, 1.5 sigma) = {tolerance[0]:.1f} / {tolerance[1]:.2f} mas:",
      abs(d_ra) <= tolerance[0] and abs(d_dec) <= tolerance[1])

# %% [markdown]
# ## 4. The shape, and what it is worth
#
# The embedded ellipsoid is oriented with the IAU elements (Archinal et al. 2018); the sub-observer point agrees with
# the paper's Table 3 (130.072° W, −1.014°). Its topography σ (2 km, the paper's Sect. 3) enters every contact. With
# eleven chords across the disc the timing dominates and the shape adds little; with two chords grazing one limb
# (Io, 2021 April 2, in `tests/test_real_events.py`) the shape's σ is most of the position's σ.

# %%
ganymede = embedded_shape(503)
plane = fit.prediction.plane_at([published["tdb"]])
print("sub-observer point (W longitude, latitude):", [round(v, 3) for v in ganymede.sub_observer(plane)])
print("limb at the event:", ganymede.limb(plane))
event.shape = Shape(ganymede.radii_km, 0.0, 0.0, ganymede.rotation, "Ganymede, exact")
exact = event.reduce(EphemerisTarget(503, ephemeris), ephemeris=ephemeris)
event.shape = None
_, _, cov_exact = exact.radec(published["tdb"])
print(f"sigma with the shape exact: {math.sqrt(cov_exact[0, 0]):.2f} / {math.sqrt(cov_exact[1, 1]):.2f} mas; "
      f"with its topography: {math.sqrt(cov[0, 0]):.2f} / {math.sqrt(cov[1, 1]):.2f} mas")

# %% [markdown]
# ## 5. One chord and a negative station: Europa, 2019 June 4
#
# One chord leaves two mirror centres, one each side of it. San Pedro de Atacama, whose track ran 566 km south of the
# chord (across the shadow's motion, on the fundamental plane), saw nothing: the southern centre would have put it
# 895 km inside Europa's shadow, so the reduction gives that side P = 0 and the northern one P = 1 (the likelihood of
# each side times Φ(clearance / σ) of every negative track; the summary prints what each side makes of the track).

# %%
europa_event, europa_options = read_event(data_path("occultation_events", "europa_2019-06-04.toml"))
europa = europa_event.reduce(EphemerisTarget(502, ephemeris), ephemeris=ephemeris)
print(europa.summary())
display(europa.plot(OUT / "europa_2019-06-04_sides.png"))
(atacama,) = europa.negative_report()
# the prose above, as computed
assert round(atacama["km_from_chord"]) == 566 and round(-atacama["clearance_km_by_side"]["-1"]) == 895
assert europa.side_probabilities[1] > 0.9999

# %% [markdown]
# ## 6. From the shell, and into a fit
#
# `orbitfit occultation reduce data/occultation_events/ganymede_2020-12-21.toml` prints the same (`--json` for a
# report). `fit.observations()` is the measured position as one observation row with its 2×2 covariance
# (kind "occultation"), which `orbitfit.refit(solution, rows)` adds to a fitted orbit.

# %%
display(fit.observations())
print(f"notebook ran in {time.perf_counter() - t_start:.1f} s")
