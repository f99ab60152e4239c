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
# # Kallichore: an orbit from 41 positions, and its uncertainty for two occultation dates
#
# Kallichore (Jupiter XLIV, NAIF 544; a JUICE target) is a 2-km retrograde irregular with only 41 published positions
# (2003–2021, five sites). No prior orbit is needed: `orbitfit.initial_orbit` finds a starting orbit by systematic
# ranging on the best-observed apparition and links the others, and `orbitfit.fit` refines it with the full force
# model. We then look at the residuals, the elements on the **ecliptic**, how well the orbit predicts the position
# across the shadow path (cross-track) on 2025-12-15 and 2026-03-18, and — with a **synthetic** star and chord —
# what a single positive occultation chord would be worth.
#
# **Conventions** (as everywhere in orbitfit):
#
# * **Time** is TDB inside, given as seconds past J2000 TDB (JD 2451545.0 TDB); UTC only appears when reading
#   observations and when we print dates. `orbitfit.times.tdb_seconds("2025-12-15")` converts a UTC date,
#   `orbitfit.times.iso_utc` prints one.
# * **Frame**: ICRF axes. States are relative to the Jupiter-system barycentre, **NAIF 5** (what DE files give and what
#   SPK users such as SORA can chain to the Solar System barycentre); km and km/s.
# * **Residuals** O−C in mas; the RA residual is always **RA\* = Δα cos δ**. Positions are *astrometric*: light
#   time, no aberration (the reference stars carry it).
# * **Orbital elements** always say their centre and plane: here *jovicentric* (599, with Jupiter's own GM, the
#   convention of the STE paper's Table 2) and the ICRF equator, the J2000 ecliptic or Jupiter's equator.

# %%
# %matplotlib inline
import time
from pathlib import Path

import astropy.units as u
import numpy as np
import matplotlib.pyplot as plt
from astropy.table import QTable, Table
from astropy.time import Time
from IPython.display import display

import orbitfit
from dynamics import constants as C
from orbitfit.paths import data_path
from orbitfit.observations.observers import site_name
from orbitfit.occultations.maps import plot_track_ellipse
from orbitfit.products.plots import plot_residuals, save_figure
from orbitfit.times import iso_utc, tdb_seconds

OUT = Path("tmp/out/03_kallichore")
OUT.mkdir(parents=True, exist_ok=True)
t_start = time.perf_counter()

# %% [markdown]
# ## 1. The 41 positions

# %%
observations, report = orbitfit.read(data_path("kallichore", "kallichore_nsdb_astrometry.csv"))
print(report)
years = 2000 + np.asarray(observations["tdb"]) / (365.25 * C.SECONDS_PER_DAY)
print(f"\n{len(observations)} positions, {years.min():.1f} - {years.max():.1f}; nights per site:")
for code in np.unique(np.asarray(observations["observer"])):
    sel = np.asarray(observations["observer"]) == code
    nights = np.unique(np.floor(np.asarray(observations["tdb"])[sel] / C.SECONDS_PER_DAY)).size
    print(f"  {code}  {sel.sum():3d} positions, {nights:2d} nights  {site_name(code)}")

# %% [markdown]
# ## 2. Starting orbit without any prior elements, then the fit
#
# `initial_orbit(..., report=True)` also returns what it did: the first arc, the apparitions linked one by one, and
# the rms at each stage. The state is relative to NAIF 5 at the mid-epoch of the data.

# %%
t0 = time.perf_counter()
start, start_report = orbitfit.initial_orbit(observations, report=True)
print(f"initial orbit in {time.perf_counter() - t0:.1f} s; epoch {iso_utc(start.epoch)} UTC")
print(start_report)

t0 = time.perf_counter()
solution = orbitfit.fit(observations, start)
print(f"\nfit in {time.perf_counter() - t0:.1f} s\n")
print(solution.summary())

# %%
per_site = solution.statistics(by="observer")
for name in per_site.colnames[2:]:
    per_site[name].info.format = "+.0f" if name.startswith("mean") else ".0f"
per_site.pprint()
fig = plot_residuals(solution, by="observer", path=OUT / "kallichore_oc.png")
display(fig)

# %% [markdown]
# With one or a few positions per night from several telescopes, the residuals (a few hundred mas) are those of the
# observations; the fit estimates each site's σ floor and weights accordingly (χ²/dof ≈ 1).
#
# ## 3. Elements on the ecliptic
#
# Osculating elements at the fitted epoch, jovicentric (599, Jupiter's own GM), on the **J2000 ecliptic** (IAU 2006
# obliquity) — the plane in which the irregulars' families are usually described (Kallichore belongs to the
# retrograde Carme group). The same state on the ICRF equator and on Jupiter's equator for comparison: a, e and the
# anomaly do not depend on the plane. The osculating a differs from published *mean* elements (23.1–24.0 × 10⁶ km,
# see `data/kallichore/KALLICHORE_NOTES.txt`) by the solar perturbation.

# %%
formats = (".0f", ".6f", ".4f", ".4f", ".4f", ".4f")
rows = []
for plane in ("ecliptic", "icrf", "jupiter"):
    elements, sigma = solution.elements(plane=plane, centre="jupiter")
    rows.append((plane, *(f"{v:{f}} ± {s:.2g}" for v, s, f in zip(elements.as_array(), sigma, formats))))
print(f"epoch {iso_utc(solution.epoch)} UTC = {solution.epoch / C.SECONDS_PER_DAY:.1f} d past J2000 TDB; "
      f"centre 599, GM {elements.gm:.6e} km^3/s^2")
Table(rows=rows, names=("plane", "a (km)", "e", "i (deg)", "node (deg)", "peri (deg)", "true anomaly (deg)"))


# %% [markdown]
# ## 4. σ across the shadow path on 2025-12-15 and 2026-03-18
#
# For a stellar occultation what matters is the error **perpendicular to the apparent motion** of the body on the sky
# (cross-track: whether the shadow hits the observers at all) and **along** it (the time of the event). The shadow
# path of a date follows the body's apparent motion whatever the star, so we place a **SYNTHETIC** star (no real
# star) exactly at Kallichore's predicted geocentric position on each date and let `occultation.predict` find the
# closest approach. The event gives the shadow's direction and speed in the fundamental plane and
# `cross_track_sigma_km`: the solution's sky covariance at C/A projected across the track, in km at Kallichore's
# distance. `sky_uncertainty` gives the 1σ ellipse (semi-axes `major_km`, `minor_km`, position angle `pa_deg` of the
# major axis from north through east). The along-track σ needs no second projection: the squared σ along any two
# perpendicular directions add up to a² + b², so σ_along = √(a² + b² − σ_cross²), and the timing σ is σ_along / v.
# Geocentric here (`observer="500"`).

# %%
import orbitfit.occultations as occ

dates = ["2025-12-15 00:00", "2026-03-18 00:00"]
shadows = []                        # one SYNTHETIC star per date, at the predicted position: that date's shadow path
predicted = orbitfit.sky_uncertainty(solution, dates, observer="500")          # ISO dates are UTC
for k, (date, here) in enumerate(zip(dates, predicted), start=1):
    star = occ.Star(here["ra_deg"], here["dec_deg"], epoch=Time(date, scale="utc"), mag=14.0,
                    source_id=[f"SYNTHETIC-{k}"])
    shadows.append(occ.predict(solution, star, here["tdb"], radius_km=1.0))

at_ca = orbitfit.sky_uncertainty(solution, [shadow.tdb for shadow in shadows], observer="500")
cross = [shadow.cross_track_sigma_km() for shadow in shadows] * u.km
speed = [abs(shadow.velocity_km_s) for shadow in shadows] * u.km / u.s
along = np.sqrt(at_ca["major_km"] ** 2 + at_ca["minor_km"] ** 2 - cross ** 2)
motion_pa = [np.degrees(np.arctan2(s.plane.df[0], s.plane.dg[0])) % 360 for s in shadows] * u.deg   # N through E
occ_sigma = QTable({"date (UTC)": dates, "RA": at_ca["ra_deg"], "Dec": at_ca["dec_deg"],
                    "distance": at_ca["distance_km"].to(u.au), "sigma_s": at_ca["sigma_s_mas"],
                    "major": at_ca["major_km"], "minor": at_ca["minor_km"], "PA major": at_ca["pa_deg"],
                    "PA motion": motion_pa, "sky speed": speed, "sigma cross-track": cross,
                    "sigma along-track": along, "sigma time": (along / speed).to(u.s)})
for name in occ_sigma.colnames[1:]:
    occ_sigma[name].info.format = ".4f" if name in ("RA", "Dec") else ".1f"
occ_sigma.write(OUT / "kallichore_occultation_sigma.ecsv", overwrite=True)
occ_sigma

# %%
fig, axes = plt.subplots(1, 2, figsize=(8.5, 4.4), layout="constrained")
for ax, date, shadow in zip(axes, dates, shadows):
    plot_track_ellipse(shadow, ax=ax, title=f"Kallichore, {date} UTC, geocentre")
save_figure(fig, OUT / "kallichore_error_ellipses.png")
plt.show()

# %% [markdown]
# A 2-km body with a cross-track σ of hundreds of km: a single station has a tiny chance, and one positive chord
# will shrink the ellipse more than years of new astrometry (section 5). The linear σ can be checked with
# `orbitfit.monte_carlo_sky` (clones drawn from the covariance and integrated together; with N clones a σ has a
# sampling error of about 1/√(2N), 5% for 200):

# %%
t0 = time.perf_counter()
centre_epochs = Time(dates, scale="utc")
mc, offsets = orbitfit.monte_carlo_sky(solution, centre_epochs, n_clones=200, observer="500",
                                       rng=np.random.default_rng(544))
linear = orbitfit.sky_uncertainty(solution, centre_epochs, observer="500")
print(f"{len(offsets)} clones in {time.perf_counter() - t0:.1f} s")
for date, lin_row, mc_row in zip(dates, linear, mc):
    print(f"{date}: ellipse semi-axes {lin_row['major_km'].value:.0f} x {lin_row['minor_km']:.0f} linear, "
          f"{mc_row['major_km'].value:.0f} x {mc_row['minor_km']:.0f} Monte Carlo "
          f"(ratio {mc_row['major_km'] / lin_row['major_km']:.2f}, {mc_row['minor_km'] / lin_row['minor_km']:.2f})")

# %% [markdown]
# ## 5. A SYNTHETIC single chord on 2025-12-15 (`orbitfit.occultations`)
#
# > **Synthetic example — no real star, no real observation.** The star of section 4 (SYNTHETIC-1), exactly at
# > Kallichore's predicted geocentric position at 2025-12-15 00:00 UTC, so that the predicted shadow crosses the
# > Earth, and one station on the predicted centre line that records a positive chord. The point is what a single
# > chord is worth.
#
# `occultation.predict(solution, star, near, radius_km)` finds the closest approach in the fundamental plane (Bessel
# geometry, as SORA); the event gives the cross-track σ from the solution's covariance
# (`cross_track_sigma_km`, as in section 4), the shadow path on the Earth with
# its 1σ and 3σ limits (`path`), the chance of a positive chord at any site (`sites`) and a map (`plot_map`).
# Kallichore's radius: ~1 km (diameter ~2 km).

# %%
t_event = tdb_seconds(dates[0])
event = shadows[0]                                   # the SYNTHETIC-1 star of section 4
star = event.star
print(event)
sigma_cross = event.cross_track_sigma_km()
print(f"cross-track 1-sigma: {sigma_cross:.1f} km (occultation.cross_track_sigma_km)")
print(f"a positive chord through the centre lasts {2 * event.radius_km / abs(event.velocity_km_s):.2f} s")

# %%
path = event.path()
centre = path.labels.index("centre")
k = int(np.argmin(np.abs(path.tdb - event.tdb)))
station = (round(float(path.lon_deg[centre, k]), 4), round(float(path.lat_deg[centre, k]), 4), 0.0)
print(f"synthetic station on the centre line at C/A: lon {station[0]:.4f} deg E, lat {station[1]:.4f} deg")
chances = event.sites(["874", "809", "511", station])
for column, fmt in (("d_km", ".0f"), ("star_alt_deg", ".0f"), ("sun_alt_deg", ".0f"), ("probability", ".2e")):
    chances[column].format = fmt
display(chances["site", "utc", "d_km", "star_alt_deg", "sun_alt_deg", "probability"])
fig = event.plot_map(path, sites=["874", "809", "511", station], filename=OUT / "kallichore_SYNTHETIC_2025-12-15.png",
                     title=f"SYNTHETIC star: Kallichore {event.utc[:19]} UTC, 1σ cross-track {sigma_cross:.0f} km")
display(fig)

# %% [markdown]
# Now the chord itself. To have something to recover, we invent a **SYNTHETIC truth**: an orbit drawn from the
# covariance of the 41-position solution — where Kallichore "really" is in this example, a few hundred km off the
# prediction. A fence of stations across the predicted path would have one of them inside the true 2-km shadow: we
# put the synthetic station 0.4 km from the true centre line and time its chord from the truth
# (`chords.contact_times`), with a 0.05 s timing σ and a Gaia star with a 0.2 mas position σ.
#
# `chords.ObservedOccultation.reduce(solution)` turns the chord into a measurement of the body's centre in the
# fundamental plane against the solution's prediction: **along** the chord it is fixed by the mid-time (σ ≈ v σ_t /
# √2), **across** it only to two mirror positions, one each side of the chord (a single chord cannot tell on which
# side of the centre it passed; no negative chord and an orbit σ far larger than the body cannot either, so
# `reduce` reports both sides' probabilities and gives their mean, σ across ≈ the chord's distance from the
# centre), so its covariance is a thin ellipse. `CentreFit.observations()` writes it as one geocentric astrometric
# position with
# that 2×2 covariance (kind `"occultation"`), and `Solution.refit` adds it to the solution and refits from it.

# %%
import dataclasses
from orbitfit.occultations import chords

rng = np.random.default_rng(2025)
truth = dataclasses.replace(solution, orbit=orbitfit.Orbit(
    solution.body, solution.epoch, rng.multivariate_normal(solution.state, solution.covariance)))   # SYNTHETIC
true_event = occ.predict(truth, star, t_event, radius_km=1.0)
lon, lat, _ = occ.stations_across(true_event, [0.4])[0]          # 0.4 km left of the true centre line
station = (round(lon, 5), round(lat, 5), 0.0)
contacts = chords.contact_times(true_event, [station])[0]
print(f"SYNTHETIC station at lon {station[0]:.4f}, lat {station[1]:.4f}: chord "
      f"{iso_utc(contacts[0])} .. {iso_utc(contacts[1])} UTC ({contacts[1] - contacts[0]:.2f} s)")

observed = chords.ObservedOccultation(
    body=544, star=star, radius_km=1.0, star_sigma_mas=(0.2, 0.2), name="SYNTHETIC 2025-12-15",
    chords=[chords.Chord(station, round(contacts[0], 2), round(contacts[1], 2), sigma_s=0.05,
                         name="SYNTHETIC station")])
centre = observed.reduce(solution)
print(centre.summary())

# %%
t0 = time.perf_counter()
with_chord = orbitfit.refit(solution, centre.observations())
print(f"refit in {time.perf_counter() - t0:.2f} s, {len(with_chord.history)} iterations")
print(with_chord.summary().splitlines()[0])
changes = solution.compare(with_chord, dates)
print("state change in units of the old sigma:", np.round(changes.meta["state_change_sigma"], 2))
for name in changes.colnames[2:]:
    changes[name].info.format = ".1f"
display(changes["utc", "d_ra_mas", "d_dec_mas", "sigma_ra_before_mas", "sigma_ra_after_mas",
                "sigma_dec_before_mas", "sigma_dec_after_mas"])
# the same shadow geometry (section 4), the refitted solution's covariance
after_cross = [shadow.cross_track_sigma_km(with_chord) for shadow in shadows] * u.km
after_sky = orbitfit.sky_uncertainty(with_chord, [shadow.tdb for shadow in shadows], observer="500")
after_along = np.sqrt(after_sky["major_km"] ** 2 + after_sky["minor_km"] ** 2 - after_cross ** 2)
compare = QTable({"date (UTC)": dates,
                  "cross-track σ, 41 positions": occ_sigma["sigma cross-track"],
                  "cross-track σ, + SYNTHETIC chord": after_cross,
                  "timing σ, 41 positions": occ_sigma["sigma time"],
                  "timing σ, + SYNTHETIC chord": (after_along / occ_sigma["sky speed"]).to(u.s)})
for name in compare.colnames[1:]:
    compare[name].info.format = ".1f"
compare

# %% [markdown]
# ## 5b. The 2026-03-18 path before and after the SYNTHETIC chord
#
# The synthetic star of section 4 at the 41-position solution's predicted position on 2026-03-18 (SYNTHETIC-2). Three predictions of its
# shadow: from the 41 positions, from the 41 positions + the chord, and from the synthetic truth. The refit moves the
# centre line towards the truth and narrows the 1σ/3σ limits.

# %%
t_march = tdb_seconds(dates[1])
star_march = shadows[1].star
events = {"41 positions": shadows[1],
          "+ SYNTHETIC chord": occ.predict(with_chord, star_march, t_march, radius_km=1.0),
          "SYNTHETIC truth": occ.predict(truth, star_march, t_march, radius_km=1.0)}
truth_event = events["SYNTHETIC truth"]
rows = []
for label, ev in events.items():
    sigma = ev.cross_track_sigma_km() if label != "SYNTHETIC truth" else float("nan")
    # signed cross-track distance of the truth's shadow centre from this prediction's centre line, km
    offset = (np.array([truth_event.plane.f[0], truth_event.plane.g[0]]) -
              np.array([ev.plane_at([truth_event.tdb]).f[0], ev.plane_at([truth_event.tdb]).g[0]])) @ ev.cross_track_unit()
    rows.append((label, ev.utc[:22], round(ev.ca_km, 1), round(sigma, 1), round(offset, 1),
                 round(abs(offset) / sigma, 2) if np.isfinite(sigma) else float("nan")))
display(Table(rows=rows, names=("prediction", "C/A (UTC)", "C/A (km)", "cross-track σ (km)",
                                "truth − prediction across (km)", "|truth − prediction| / σ")))
for label, stem in (("41 positions", "before"), ("+ SYNTHETIC chord", "after")):
    ev = events[label]
    fig = ev.plot_map(ev.path(), filename=OUT / f"kallichore_SYNTHETIC_2026-03-18_{stem}_chord.png",
                      title=f"SYNTHETIC star, Kallichore {ev.utc[:19]} UTC, {label}: "
                            f"1σ cross-track {ev.cross_track_sigma_km():.0f} km")
    display(fig)
    plt.close(fig)

# %%
fig, axes = plt.subplots(1, 2, figsize=(8.5, 4.4), layout="constrained")
for ax, date, shadow in zip(axes, dates, shadows):
    plot_track_ellipse(shadow, ax=ax, label="1σ, 41 positions", motion=False)
    plot_track_ellipse(shadow, solution=with_chord, ax=ax, colour="#009E73", label="1σ, + SYNTHETIC chord",
                       motion=False, title=f"Kallichore, {date} UTC")
fig.suptitle("What one (SYNTHETIC) chord on 2025-12-15 is worth", fontsize=10)
save_figure(fig, OUT / "kallichore_SYNTHETIC_chord_ellipses.png")
plt.show()

# %% [markdown]
# On the night of the chord the position is pinned along the chord to a fraction of a km (across it, to about the
# chord's distance from the centre); three months later the ellipse is still much smaller than from the 41
# positions alone: a single chord is worth years of astrometry. Real chords enter the same way — from the shell
# too: `orbitfit occultation add kallichore.h5 event.toml --dates 2026-03-18` (see `orbitfit occultation add
# --help` for the event file).
#
# ## 6. Keep the solution

# %%
solution.save(OUT / "kallichore.h5")
export = solution.to_spk(OUT / "kallichore.bsp")
print(f"{export.path}: NAIF {export.naif_id} relative to {export.center}, {iso_utc(export.start_tdb)[:10]} .. "
      f"{iso_utc(export.stop_tdb)[:10]}")
print(f"notebook ran in {time.perf_counter() - t_start:.0f} s; files in {OUT}: "
      f"{', '.join(sorted(p.name for p in OUT.iterdir()))}")
