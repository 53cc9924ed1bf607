#!/usr/bin/env python3
"""ARCHITECTURE.md's dependency diagram is the build's.

The build declares each folder under src/ as a library and what it may include
(src/Layers.cmake writes the declarations to <build>/layers.txt). This test
draws the diagram from those declarations and fails unless ARCHITECTURE.md
holds exactly that drawing between its two markers, every folder under src/ is
a library, and every folder named in the table is one.

  check.py <layers.txt> <ARCHITECTURE.md> <src dir>            check
  check.py <layers.txt> <ARCHITECTURE.md> <src dir> --write    redraw in place
"""
import pathlib
import re
import sys

BEGIN = "<!-- dependency diagram: drawn from the build by tests/architecture/check.py; do not edit -->"
END = "<!-- end of dependency diagram -->"
RESERVED = {"pqxx": "pqxx, libpq", "cpprest": "cpprest", "pg_query": "libpg_query"}


def read_layers(path):
    layers = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if not line.strip():
            continue
        folder, rest = line.split(":", 1)
        exposes, uses, reserved, private = (rest.split("|") + [""])[:4]
        layers[folder.strip()] = (sorted(exposes.split() + uses.split()), reserved.split(), exposes.split(),
                                  sorted(private.split()))
    return layers


def reachable(folder, layers):
    """What a folder's files can include beyond its declarations: what the
    folders it declares expose in their headers, and so on (CMake's PUBLIC)."""
    seen = set()
    todo = list(layers[folder][0])
    while todo:
        dep = todo.pop()
        for exposed in layers[dep][2]:
            if exposed not in seen:
                seen.add(exposed)
                todo.append(exposed)
    return sorted(seen - set(layers[folder][0]) - {folder})


def height(folder, layers, memo):
    if folder not in memo:
        deps = layers[folder][0]
        memo[folder] = 1 + max((height(d, layers, memo) for d in deps), default=0)
    return memo[folder]


def draw(layers):
    memo = {}
    order = sorted(layers, key=lambda f: (-height(f, layers, memo), f))
    width = max(len(f) for f in layers)
    lines = ["```", "folder     may include (its .cpp and .hpp files; anything else fails to compile)"]
    for folder in order:
        deps, reserved, _, _ = layers[folder]
        text = " ".join(deps) if deps else "(nothing)"
        extra = reachable(folder, layers)
        if extra:
            text += " (and, through their headers, " + " ".join(extra) + ")"
        if reserved:
            text += "   + " + ", ".join(RESERVED[r] for r in reserved)
        lines.append(f"{folder:<{width}}  ─► {text}")
    for folder in sorted(layers):
        private = layers[folder][3]
        if private:
            lines.append(f"private to {folder}/ (an #error anywhere else): " + " ".join(private))
    lines.append("```")
    return "\n".join(lines)


def main():
    layers_path, doc_path, src = sys.argv[1:4]
    layers = read_layers(layers_path)
    doc = pathlib.Path(doc_path)
    text = doc.read_text()
    drawing = draw(layers)
    problems = []

    folders = sorted(p.name for p in pathlib.Path(src).iterdir() if p.is_dir())
    for f in folders:
        if f not in layers:
            problems.append(f"src/{f}/ is not a library in the build (src/Layers.cmake: lockstep_layer)")
    for f in re.findall(r"^\| `src/([a-z_]+)/` \|", text, re.M):
        if f not in layers:
            problems.append(f"ARCHITECTURE.md's table names src/{f}/, which the build does not have")
    for f in layers:
        if not re.search(rf"^\| `src/{f}/` \|", text, re.M):
            problems.append(f"ARCHITECTURE.md's table has no row for src/{f}/")

    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    if not match:
        problems.append(f"ARCHITECTURE.md has no diagram between\n  {BEGIN}\n  {END}")
    elif match.group(1) != drawing:
        if "--write" in sys.argv:
            doc.write_text(text[: match.start(1)] + drawing + text[match.end(1) :])
            print("ARCHITECTURE.md: diagram redrawn")
        else:
            problems.append("ARCHITECTURE.md's diagram is not the build's; it should read:\n" + drawing +
                            "\n(run tests/architecture/check.py <build>/layers.txt ARCHITECTURE.md src --write)")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
