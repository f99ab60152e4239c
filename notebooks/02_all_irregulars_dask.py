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
# # All eight irregular satellites of the STE paper in one run, on a dask cluster
#
# The STE paper (Gomes-Júnior et al. 2016) fitted an STE for each of Himalia, Elara, Pasiphae, Sinope, Lysithea, Carme,
# Ananke and Leda to their GJ15 positions (3613 in all). `orbitfit.estimation.batch` runs such independent fits as jobs: each
# job reads its files, starts from the STE paper's Table 2 elements and fits, inside a worker process of a dask
# `LocalCluster` (or any scheduler address, or `scheduler="serial"`). A failed job is reported with its error and
# the others are kept; the results are identical to a serial run.
#
# Here: 2 worker processes (the machine's 2 cores), then the residuals of every satellite against the STE paper's
# Table 3 and the elements against Table 2.
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
import warnings
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt
from astropy.table import Table

from orbitfit.estimation.batch import gj15_jobs, run_jobs
from orbitfit.products.plots import save_figure
from orbitfit.estimation.published import gomes_junior_2016_orbits, gomes_junior_2016_table3

# run_jobs builds a tqdm.auto bar even with progress=False; without ipywidgets tqdm warns once at import
warnings.filterwarnings("ignore", message="IProgress not found")

OUT = Path("tmp/out/02_all_irregulars_dask")
OUT.mkdir(parents=True, exist_ok=True)
t_start = time.perf_counter()

# %% [markdown]
# ## 1. The jobs
#
# `gj15_jobs(options)` gives one `FitJob` per satellite: its GJ15 file, the start `"gomes-junior-2016:<Name>"` and the
# `FitOptions` as a dict (sent to the workers as plain data): `GOMES_JUNIOR_2016_WEIGHTING`, the STE paper's weighting.

# %%
from orbitfit.estimation.options import GOMES_JUNIOR_2016_WEIGHTING
jobs = gj15_jobs(GOMES_JUNIOR_2016_WEIGHTING)
Table(rows=[(job.name, gomes_junior_2016_orbits()[job.name].naif_id, Path(job.files[0]).name, job.start, str(job.options))
            for job in jobs], names=("satellite", "NAIF", "file", "start", "options"))

# %% [markdown]
# ## 2. Run them on a local dask cluster
#
# `run_jobs(jobs, workers=2)` starts a `LocalCluster` of 2 worker *processes* (one thread each: the fits are
# CPU-bound), submits the jobs, collects them as they finish and closes the cluster. From a notebook this works
# because the unit of work, `orbitfit.estimation.batch.run_job`, lives in an importable module: nothing defined in the notebook
# has to be pickled to the workers. (On a shared machine pass `scheduler="tcp://host:8786"` to use an existing
# cluster instead.)

# %%
t0 = time.perf_counter()
results = run_jobs(jobs, workers=2, progress=False)
wall = time.perf_counter() - t0
failed = [r for r in results if not r.ok]
for r in failed:
    print(f"{r.name}: FAILED: {r.error}")
busy = sum(r.seconds for r in results)
print(f"{len(results) - len(failed)} of {len(results)} fits in {wall:.1f} s wall time "
      f"(sum of the fits' own times {busy:.1f} s, i.e. {busy / wall:.1f} cores busy on average)")
assert not failed

# %% [markdown]
# ## 3. Residuals against the STE paper's Table 3
#
# For every satellite: the rejected fraction, iterations and time of the fit, and mean ± sd of the O−C (mas) of the
# accepted positions next to the STE paper's STE (Table 3, read from the embedded copy of the paper's tables).

# %%
table3 = gomes_junior_2016_table3()
rows = []
for r in results:
    s = r.solution.statistics(None)[0]
    ste = table3[r.name]["STE"]
    rows.append((r.name, len(r.solution.accepted), 100 * float((~r.solution.accepted).mean()),
                 len(r.solution.history), r.seconds,
                 f"{s['mean_ra_mas'].value:+.0f} ± {s['std_ra_mas'].value:.0f}", f"{ste[0]:+.0f} ± {ste[1]:.0f}",
                 f"{s['mean_dec_mas'].value:+.0f} ± {s['std_dec_mas'].value:.0f}", f"{ste[2]:+.0f} ± {ste[3]:.0f}",
                 s["std_ra_mas"].to_value("mas") / ste[1], s["std_dec_mas"].to_value("mas") / ste[3]))
summary = Table(rows=rows, names=("satellite", "n", "rejected %", "iterations", "seconds",
                                  "RA* orbitfit", "RA* STE", "Dec orbitfit", "Dec STE",
                                  "sd RA* ours/STE", "sd Dec ours/STE"))
for name, fmt in (("rejected %", ".1f"), ("seconds", ".1f"), ("sd RA* ours/STE", ".2f"), ("sd Dec ours/STE", ".2f")):
    summary[name].format = fmt
summary.write(OUT / "gj15_summary.ecsv", overwrite=True)
summary

# %%
names = [r.name for r in results]
x = np.arange(len(names))
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True, layout="constrained")
for ax, (key, label, k) in zip(axes, (("std_ra_mas", "RA* = Δα cos δ", 1), ("std_dec_mas", "Dec", 3))):
    ours = [r.solution.statistics(None)[0][key].to_value("mas") for r in results]
    ax.bar(x - 0.2, ours, 0.4, label="orbitfit (accepted)", color="#0072B2")
    ax.bar(x + 0.2, [table3[n]["STE"][k] for n in names], 0.4, label="published STE (Table 3)", color="#E69F00")
    ax.set_xticks(x, names, rotation=45, ha="right")
    ax.set_title(f"sd of O−C, {label}")
    ax.grid(axis="y", alpha=0.3)
axes[0].set_ylabel("mas")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=2, frameon=False)
save_figure(fig, OUT / "gj15_sd_vs_ste.png")
plt.show()

# %% [markdown]
# ## 4. Elements against the STE paper's Table 2
#
# Osculating elements at J2000 TDB, jovicentric (599, Jupiter's own GM), ICRF equator, as Table 2; the difference in
# units of Table 2's σ.

# %%
rows = []
for r in results:
    elements, sigma = r.solution.elements(plane="icrf", centre="jupiter")
    published = gomes_junior_2016_orbits()[r.name]
    delta = elements.as_array() - published.elements.as_array()
    delta[2:] = (delta[2:] + 180.0) % 360.0 - 180.0
    rows.append((r.name, *elements.as_array(), *(delta / published.sigma)))
columns = ("a_km", "e", "i_deg", "node_deg", "peri_deg", "nu_deg")
elements_table = Table(rows=rows, names=("satellite", *columns, *(f"Δ{c}/σ" for c in columns)))
for c in columns[1:]:
    elements_table[c].format = ".5f"
elements_table["a_km"].format = ".0f"
for c in columns:
    elements_table[f"Δ{c}/σ"].format = "+.2f"
elements_table.write(OUT / "gj15_elements.ecsv", overwrite=True)
elements_table

# %%
print(f"notebook ran in {time.perf_counter() - t_start:.0f} s; files in {OUT}: "
      f"{', '.join(sorted(p.name for p in OUT.iterdir()))}")
