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
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKAGES = ("orbitfit", "dynamics")
DEFAULT_OUTPUT = HERE / "_build"

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


def external_resources(output):
    """[(page, excerpt)] of every reference to an off-machine resource in the built HTML/JS."""
    hits = []
    for page in sorted(output.rglob("*")):
        if page.suffix not in (".html", ".js", ".css"):
            continue
        text = page.read_text(encoding="utf-8")
        for match in EXTERNAL_RESOURCE.finditer(text):
            hits.append((str(page.relative_to(output)), text[match.start():match.start() + 120]))
    return hits


def build(output=DEFAULT_OUTPUT, packages=PACKAGES, strict=True):
    """Write the reference into `output`; returns {"modules": [...], "pages": n, "seconds": t, "ignored": [...]}."""
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

    output.mkdir(parents=True, exist_ok=True)
    for path, text in pages.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    external = external_resources(output)
    if external:
        raise BuildError("pages load resources from the network:\n" + "\n".join(f"- {p}: {x}" for p, x in external))
    return {"modules": names, "pages": len(pages), "seconds": time.perf_counter() - start, "ignored": ignored,
            "warnings": errors}


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
    args = parser.parse_args(argv)
    try:
        result = build(args.output, packages=tuple(args.packages or PACKAGES), strict=args.strict)
    except BuildError as exc:
        print(f"docs/build.py: error: {exc}", file=sys.stderr)
        return 1
    for message in result["warnings"]:
        print(f"warning: {message}", file=sys.stderr)
    for message in result["ignored"]:
        print(f"note (pdoc limitation, ignored): {message.splitlines()[0]}", file=sys.stderr)
    print(f"{len(result['modules'])} modules, {result['pages']} files in {args.output} "
          f"({result['seconds']:.1f} s); open {args.output / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
