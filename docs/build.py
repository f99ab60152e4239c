"""Build the HTML API reference of `orbitfit` and `dynamics` from their docstrings with pdoc, offline.

    python docs/build.py                   # writes docs/_build/index.html (open it in a browser)
    python docs/build.py --output /tmp/api

Every public module (no name part starting with "_") of both packages is imported first; the build fails (exit 1,
with the traceback) if one does not import, and fails on any warning pdoc emits (unresolvable names in __all__,
unparsable annotations, modules that cannot be found...), except the allow-listed pdoc limitations in
`tolerated()`. The pages need nothing from the network: math and mermaid (the only pdoc features that load a CDN
script) stay off, the search index is a local search.js, and the result is checked for external resources.

The overview on index.html is docs/index.md; the templates in docs/templates add it and list every module in the
package navigation (pdoc alone lists only submodules named in a package's __all__).

    python docs/build.py --notebooks       # also execute notebooks/NN_*.py (offline, ~4 min on 2 cores) and write
                                           # notebooks/NN_*.html with their figures

The researcher notebooks are jupytext percent-format files (notebooks/NN_name.py). With --notebooks each is
executed by nbclient in a fresh ipykernel of this Python (working directory: a temporary folder, deleted after) and
rendered as one self-contained page (docs/templates/notebook.html.jinja2: nbconvert's "basic" cells, PNG figures as
data URIs, no script and no CDN). Without it, each notebook gets a short page saying how to render it, so the links
of the index always resolve. tests/test_notebooks.py uses the same `execute_notebook` and `notebook_html`.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import pkgutil
import re
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKAGES = ("orbitfit", "dynamics")
DEFAULT_OUTPUT = HERE / "_build"
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOK_KERNEL = "orbitfit-notebooks-python"
NOTEBOOK_CELL_TIMEOUT_S = 600

# Attributes that load something when the page is read: any of them pointing off the machine is an error.
EXTERNAL_RESOURCE = re.compile(
    r"""<(?:script|img|iframe|source|embed|audio|video)\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""", re.IGNORECASE)


class BuildError(RuntimeError):
    """The reference could not be built cleanly."""


def public_modules(packages=PACKAGES):
    """Names of the packages and all their public submodules, each imported (BuildError lists every failure)."""
    names, failures = [], []
    for package in packages:
        try:
            top = importlib.import_module(package)
        except Exception:
            failures.append((package, traceback.format_exc()))
            continue
        names.append(package)
        found = pkgutil.walk_packages(top.__path__, package + ".", onerror=lambda name: failures.append(
            (name, traceback.format_exc())))
        for info in found:
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:
                failures.append((info.name, traceback.format_exc()))
                continue
            names.append(info.name)
    if failures:
        raise BuildError("public modules that do not import:\n" + "\n".join(
            f"--- {name}\n{trace}" for name, trace in failures))
    return names


def materialise_lazy_exports(names):
    """Put a package's lazily loaded public names (module-level __getattr__ + __all__, as orbitfit does) into its
    namespace, in this build process only, so pdoc documents them like ordinary re-exports instead of warning that
    they do not resolve. Submodule names are left alone (they are documented as modules)."""
    for name in names:
        module = sys.modules[name]
        if not hasattr(module, "__path__") or "__getattr__" not in vars(module):
            continue
        for attribute in getattr(module, "__all__", ()):
            if attribute in vars(module):               # a submodule of that name: documented as the module
                continue
            setattr(module, attribute, getattr(module, attribute))


def tolerated(message):
    """pdoc warnings that are pdoc limitations, not documentation errors (each explained here).

    * typing.NamedTuple fields annotated with names of the defining module under `from __future__ import
      annotations`: pdoc evaluates the generated __new__/__init__ annotations in the namespace of the
      `collections` module, where e.g. `np` is unknown. The annotation is still shown as written.
    """
    match = re.match(r"Error parsing type annotation .* for ([\w.]+)\.__init__\. Import of \w+ failed", message)
    if match:
        owner = _resolve(match.group(1))
        return isinstance(owner, type) and issubclass(owner, tuple) and hasattr(owner, "_fields")
    return False


def _resolve(dotted):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is not None:
            obj = module
            try:
                for part in parts[cut:]:
                    obj = getattr(obj, part)
            except AttributeError:
                return None
            return obj
    return None


def external_loads(text):
    """Excerpts of `text` (HTML/JS/CSS) that would make a browser fetch something off the machine."""
    return [text[match.start():match.start() + 120] for match in EXTERNAL_RESOURCE.finditer(text)]


def external_resources(output):
    """[(page, excerpt)] of every reference to an off-machine resource in the built HTML/JS."""
    hits = []
    for page in sorted(output.rglob("*")):
        if page.suffix not in (".html", ".js", ".css"):
            continue
        hits += [(str(page.relative_to(output)), x) for x in external_loads(page.read_text(encoding="utf-8"))]
    return hits


def build(output=DEFAULT_OUTPUT, packages=PACKAGES, strict=True, notebooks=False, log=print):
    """Write the reference into `output`; returns {"modules": [...], "pages": n, "seconds": t, "ignored": [...],
    "notebooks": {file: seconds or None}}. With notebooks=True the notebooks are executed and rendered (see
    `build_notebooks`); otherwise (and for other packages than the default) they get pages saying how."""
    start = time.perf_counter()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        import pdoc
        import pdoc.doc
        import pdoc.render
        from pdoc.render_helpers import to_html
    except ImportError:
        raise BuildError("pdoc is not installed: pip install -e '.[test]' (or pip install pdoc)") from None
    output = Path(output)
    version = _version()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = public_modules(packages)
        materialise_lazy_exports(names)
        pdoc.render.configure(docformat="restructuredtext", math=False, mermaid=False, search=True,
                              show_source=True, template_directory=HERE / "templates",
                              footer_text=f"orbitfit {version}")
        pdoc.render.env.globals["overview_html"] = to_html((HERE / "index.md").read_text(encoding="utf-8"))
        modules = {name: pdoc.doc.Module.from_name(name) for name in names}
        pages = {}
        for name, module in modules.items():
            pages[output / f"{name.replace('.', '/')}.html"] = pdoc.render.html_module(module, modules)
        pages[output / "index.html"] = pdoc.render.html_index(modules)
        pages[output / "search.js"] = pdoc.render.search_index(modules)

    from_pdoc = [w for w in caught if Path(w.filename).resolve().is_relative_to(Path(pdoc.__file__).parent)]
    errors = [str(w.message) for w in from_pdoc if not tolerated(str(w.message))]
    ignored = [str(w.message) for w in from_pdoc if tolerated(str(w.message))]
    if errors and strict:
        raise BuildError(f"pdoc emitted {len(errors)} warning(s):\n" + "\n".join(f"- {e}" for e in errors))

    timings = {}
    if notebooks or tuple(packages) == PACKAGES:          # before writing anything: a failing notebook fails the build
        notebook_pages, timings = build_notebooks(execute=notebooks, log=log)
        pages.update({output / name: text for name, text in notebook_pages.items()})

    output.mkdir(parents=True, exist_ok=True)
    for path, text in pages.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    external = external_resources(output)
    if external:
        raise BuildError("pages load resources from the network:\n" + "\n".join(f"- {p}: {x}" for p, x in external))
    return {"modules": names, "pages": len(pages), "seconds": time.perf_counter() - start, "ignored": ignored,
            "warnings": errors, "notebooks": timings}


# --- notebooks --------------------------------------------------------------------------------------------------
def notebook_sources(folder=NOTEBOOK_DIR):
    """The researcher notebooks: jupytext percent-format files NN_name.py, in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.py"))


def read_notebook(path):
    """A notebook file (jupytext percent format) as an nbformat v4 NotebookNode, without outputs."""
    import jupytext
    return jupytext.read(path, fmt="py:percent")


@contextlib.contextmanager
def notebook_kernel(folder, name=NOTEBOOK_KERNEL):
    """A kernel spec `name` that runs ipykernel in THIS interpreter with this source tree first on PYTHONPATH,
    written under `folder` and found first through JUPYTER_PATH while the context lasts. A user's own "python3"
    spec could point at another interpreter, and an installed orbitfit (e.g. an editable install of another
    checkout) would otherwise shadow the tree being documented or tested. Yields the kernel name."""
    spec_dir = Path(folder) / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "orbitfit notebooks", "language": "python", "env": {"PYTHONPATH": python_path}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(folder), before) if p)
    try:
        yield name
    finally:
        if before is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = before


def execute_notebook(path, workdir, kernel_name=NOTEBOOK_KERNEL, timeout_s=NOTEBOOK_CELL_TIMEOUT_S):
    """Execute the notebook file `path` top to bottom in a fresh kernel with `workdir` as working directory (the
    notebooks write their figures to ./tmp/out/<name>/ there). Use inside `notebook_kernel`. Returns (executed
    NotebookNode, seconds); a failing cell raises nbclient's CellExecutionError with the cell and its traceback."""
    import nbclient
    notebook = read_notebook(path)
    client = nbclient.NotebookClient(notebook, timeout=timeout_s, kernel_name=kernel_name,
                                     resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def _notebook_template():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("notebook.html.jinja2")


def notebook_title(notebook):
    """The first markdown heading of the notebook, without the '#'."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return "notebook"


def notebook_html(notebook, source, seconds=None):
    """One self-contained HTML page of an (executed) notebook: nbconvert's "basic" template for the cells (no
    scripts: nbconvert's full templates load require.js and MathJax from CDNs), PNG figures embedded as data URIs,
    styles inline. `source` is the notebook's file name, shown in the header. Raises BuildError if the page would
    load anything from the network."""
    from nbconvert import HTMLExporter
    from pygments.formatters import HtmlFormatter
    body, _ = HTMLExporter(template_name="basic").from_notebook_node(notebook)
    page = _notebook_template().render(
        title=notebook_title(notebook), stem=Path(source).stem, source=Path(source).name, seconds=seconds,
        version=_version(), body=body, highlight_css=HtmlFormatter(style="default").get_style_defs(".highlight"))
    external = external_loads(page)
    if external:
        raise BuildError(f"notebook {source}: the page would load from the network: {external[:3]}")
    return page


def notebook_stub_html(path):
    """The page of a notebook this build did not execute: its title, where the source is, how to render it."""
    # the title from the text (the first "# # " line of a markdown cell): the API build needs no jupytext
    title = next((line[4:].strip() for line in Path(path).read_text(encoding="utf-8").splitlines()
                  if line.startswith("# # ")), Path(path).stem)
    return _notebook_template().render(
        title=title, stem=Path(path).stem, source=Path(path).name, seconds=None,
        version=_version(), body="", highlight_css="")


def build_notebooks(execute=True, folder=NOTEBOOK_DIR, log=print):
    """The pages of every notebook, {"notebooks/NN_name.html": html}, executed and rendered (execute=True), or
    the short pages saying how to render them; and {file name: seconds of execution, or None}. A failing cell is a
    BuildError naming the notebook, with the cell and its traceback."""
    pages, timings = {}, {}
    sources = notebook_sources(folder)
    if not execute:
        return {f"notebooks/{p.stem}.html": notebook_stub_html(p) for p in sources}, {p.name: None for p in sources}
    import nbclient.exceptions
    with tempfile.TemporaryDirectory(prefix="orbitfit-notebooks-") as scratch:
        with notebook_kernel(Path(scratch) / "jupyter") as kernel:
            for path in sources:
                workdir = Path(scratch) / path.stem
                workdir.mkdir()
                try:
                    notebook, seconds = execute_notebook(path, workdir, kernel)
                except nbclient.exceptions.CellExecutionError as exc:
                    raise BuildError(f"notebook {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
                                     f"failed:\n{exc}") from None
                pages[f"notebooks/{path.stem}.html"] = notebook_html(notebook, path.name, seconds)
                timings[path.name] = seconds
                log(f"{path.name}: executed in {seconds:.1f} s")
    return pages, timings


def _version():
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("orbitfit")
    except PackageNotFoundError:
        return "(source tree)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT,
                        help=f"output folder (default: {DEFAULT_OUTPUT.relative_to(ROOT)})")
    parser.add_argument("--package", "-p", action="append", dest="packages", metavar="NAME",
                        help=f"package to document, repeatable (default: {' and '.join(PACKAGES)})")
    parser.add_argument("--no-strict", dest="strict", action="store_false",
                        help="write the pages even if pdoc warns (import failures still fail)")
    parser.add_argument("--notebooks", action="store_true",
                        help="also execute notebooks/NN_*.py offline (~100 s on 2 cores) and render them with "
                             "their figures into notebooks/NN_*.html")
    args = parser.parse_args(argv)
    try:
        result = build(args.output, packages=tuple(args.packages or PACKAGES), strict=args.strict,
                       notebooks=args.notebooks)
    except BuildError as exc:
        print(f"docs/build.py: error: {exc}", file=sys.stderr)
        return 1
    for message in result["warnings"]:
        print(f"warning: {message}", file=sys.stderr)
    for message in result["ignored"]:
        print(f"note (pdoc limitation, ignored): {message.splitlines()[0]}", file=sys.stderr)
    executed = [name for name, seconds in result["notebooks"].items() if seconds is not None]
    if result["notebooks"]:
        print(f"notebooks: {len(executed)} of {len(result['notebooks'])} executed and rendered"
              f"{'' if executed else ' (--notebooks to execute them)'}")
    print(f"{len(result['modules'])} modules, {result['pages']} files in {args.output} "
          f"({result['seconds']:.1f} s); open {args.output / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
