"""No block of code is written twice in the package (orbitfit/ and dynamics/): each piece of knowledge has one home.

The check reads every module, keeps its code lines (no blank lines, comments, docstrings, import lines or lines of
lone punctuation), folds white space, and looks for a run of `MIN_LINES` consecutive code lines that stands in two
places, either as the same text or with the same shape (names, strings and numbers replaced by placeholders, as
`duplicates` of the tool library does). A shape match counts only if the run is not thin: at least half of its
lines carry a call, an assignment or a control keyword, and its lines have at least four different shapes, so that
rows of constants, dataclass fields or argument lists do not count as logic; a shape standing in more than
`MAX_PLACES` places is an idiom (as the tool, which calls it too common to list), not a copy.
"""
import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_LINES = 6
MAX_PLACES = 8
PUNCTUATION = re.compile(r"^[\s()\[\]{},:;.]*$")
LOGIC = re.compile(r"(\w\(|=|\bif\b|\bfor\b|\bwhile\b|\breturn\b|\braise\b|\byield\b)")


def docstring_lines(tree):
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def shape(line):
    """The line with names, strings and numbers replaced by placeholders (keywords and operators kept)."""
    out = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if token.type == tokenize.NAME and token.string not in KEYWORDS:
                out.append("N")
            elif token.type == tokenize.STRING or token.type == tokenize.NUMBER:
                out.append("V")
            elif token.type in (tokenize.OP, tokenize.NAME):
                out.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line
    return " ".join(out)


KEYWORDS = {"if", "else", "elif", "for", "while", "return", "raise", "yield", "def", "class", "with", "as", "in",
            "not", "and", "or", "is", "None", "True", "False", "lambda", "try", "except", "finally", "continue",
            "break", "pass", "assert", "del", "global", "nonlocal", "from", "import"}


def code_lines(path):
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    skip = docstring_lines(tree)
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split("#")[0].split()) if "#" in raw and not ("'" in raw or '"' in raw) else \
            " ".join(raw.split())
        if number in skip or not line or line.startswith("#") or PUNCTUATION.match(line) or \
                line.startswith(("import ", "from ")):
            continue
        out.append((number, line))
    return out


def runs(files):
    """{key: [(file, first line, last line)]} of every window of MIN_LINES code lines, exact and by shape."""
    exact, shaped = {}, {}
    for path in files:
        lines = code_lines(path)
        for i in range(len(lines) - MIN_LINES + 1):
            window = lines[i:i + MIN_LINES]
            place = (str(path.relative_to(ROOT)), window[0][0], window[-1][0])
            exact.setdefault(tuple(text for _, text in window), []).append(place)
            shapes = tuple(shape(text) for _, text in window)
            if sum(bool(LOGIC.search(text)) for _, text in window) >= MIN_LINES / 2 and len(set(shapes)) > 3:
                shaped.setdefault(shapes, []).append(place)
    return exact, shaped


def pairs(table, max_places=None):
    found = []
    for places in table.values():
        if max_places is not None and len(places) > max_places:
            continue
        for a in range(len(places)):
            for b in range(a + 1, len(places)):
                (fa, a1, a2), (fb, b1, b2) = places[a], places[b]
                if fa != fb or a2 < b1 or b2 < a1:            # not the same lines seen twice
                    found.append(f"{fa}:{a1}-{a2} ~ {fb}:{b1}-{b2}")
    return sorted(set(found))


def package_files():
    return sorted(p for package in ("orbitfit", "dynamics") for p in (ROOT / package).rglob("*.py"))


def test_the_check_finds_a_copied_block(tmp_path):
    block = ("    total = compute(x, 1)\n    if total > limit:\n        total = limit\n    for k in range(3):\n"
             "        total += weight[k] * x\n    result = finish(total, 2)\n    return result\n")
    (tmp_path / "a.py").write_text(f"def f(x, limit, weight):\n{block}")
    (tmp_path / "b.py").write_text(f"def g(x, limit, weight):\n{block.replace('total', 'amount')}")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        exact, shaped = runs([tmp_path / "a.py", tmp_path / "b.py"])
    finally:
        ROOT = saved
    assert not pairs(exact) and pairs(shaped)                 # renamed: not the same text, the same shape


def test_no_block_of_code_is_repeated_in_the_package():
    exact, shaped = runs(package_files())
    same = pairs(exact)
    found = same + [f"{p} (same shape)" for p in pairs(shaped, MAX_PLACES) if p not in same]
    assert not found, "repeated code:\n" + "\n".join(found)
