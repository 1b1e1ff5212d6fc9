#!/usr/bin/env python3
"""Fails when modules of one crate import each other in a circle (issue 22).

For every crate of the workspace, reads the module tree from `src/` (`mod x;` in a file makes
`x.rs` or `x/mod.rs` a child), then every path a module names: `use` trees and inline paths that
start with `crate::`, `super::`, `self::` or a child module's name. A path is resolved through
the `pub use` re-exports it passes (so `crate::Error` is a use of `error`, not of the root), to
the module that defines what it names.

A use of module B by module A is an edge between the two siblings under their deepest common
ancestor that lead to A and to B (`dict::view` → `dict::write` is `view → write` under `dict`;
`codec::decoder` → `archive::view` is `codec → archive` under the root). A parent using its
child, or a child its parent, is no edge. Tests are left out: `#[cfg(test)]` modules and items,
and files named `tests.rs`. The script prints each level's edges and fails when the edges
between the siblings of one level form a cycle.

    python3 .ci/module-cycles.py            # every crate of the workspace
    python3 .ci/module-cycles.py --graph    # and print every level's edges

It first checks itself on two small made-up crates: one with a cycle (through a re-export
and a `super::` path), which it must find, and one without (the other way only in a test
module and a comment), which it must pass.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = {
    "sessionpack": "src/lib.rs",
    "sessionpack-cli": "cli/src/main.rs",
    "sessionpack-synth": "synth/src/lib.rs",
    "sessionpack-redis": "redis/src/lib.rs",
    "sessionpack-benches": "benches/src/lib.rs",
}


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals (keeping line structure)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:]) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching_brace(text, open_at):
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(text) - 1


def drop_test_items(text):
    """Blanks every item under `#[cfg(test)]` (a `mod tests { … }`, a `use`, a function)."""
    while True:
        m = re.search(r"#\[cfg\((?:test|all\(test[^\]]*|doctest)\)\]", text)
        if not m:
            return text
        k = m.end()
        # The item ends at its first `;` before any `{`, or at the brace matching its `{`.
        semi = text.find(";", k)
        brace = text.find("{", k)
        if brace < 0 or (0 <= semi < brace):
            end = semi
        else:
            end = matching_brace(text, brace)
        text = text[: m.start()] + "\n" * text.count("\n", m.start(), end + 1) + text[end + 1 :]


class Module:
    def __init__(self, path, file):
        self.path = path  # tuple of names from the crate root
        self.file = file
        self.children = {}  # name -> Module
        self.text = ""
        self.reexports = {}  # name -> absolute path (tuple)
        self.uses = []  # absolute paths (tuples)


def load(crate_root_file):
    modules = {}

    def visit(path, file, is_dir_owner):
        mod = Module(path, file)
        modules[path] = mod
        with open(file, encoding="utf-8") as f:
            text = drop_test_items(strip_comments_and_strings(f.read()))
        mod.text = text
        base = os.path.dirname(file) if is_dir_owner else os.path.splitext(file)[0]
        for m in re.finditer(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text, re.M):
            name = m.group(1)
            if name == "tests":
                continue
            a, b = os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")
            if os.path.exists(a):
                child = visit(path + (name,), a, False)
            elif os.path.exists(b):
                child = visit(path + (name,), b, True)
            else:
                continue
            mod.children[name] = child
        return mod

    visit((), crate_root_file, True)
    return modules


def expand_use_tree(tree):
    """`a::{b, c::{d as e}}` -> [(['a','b'], 'b'), (['a','c','d'], 'e')]."""
    tree = re.sub(r"\s+", "", tree)
    out = []

    def rec(prefix, s):
        if s.startswith("::"):
            s = s[2:]
        # split top-level at '{'
        k = s.find("{")
        if k < 0:
            segs = [x for x in s.split("::") if x]
            last = segs[-1] if segs else ""
            out.append((prefix + segs, last))
            return
        head = [x for x in s[:k].split("::") if x]
        inner = s[k + 1 : s.rfind("}")]
        depth, start = 0, 0
        for i, ch in enumerate(inner):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                if inner[start:i]:
                    rec(prefix + head, inner[start:i])
                start = i + 1
        if inner[start:]:
            rec(prefix + head, inner[start:])

    rec([], tree)
    return out


USE_RE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M)


def absolute(mod, segs, modules):
    """The absolute path a path written in `mod` starts from; None for another crate's."""
    if not segs:
        return None
    if segs[0] == "crate":
        return tuple(segs[1:])
    base = list(mod.path)
    rest = list(segs)
    if rest[0] == "self":
        rest = rest[1:]
    elif rest[0] == "super":
        while rest and rest[0] == "super":
            base = base[:-1]
            rest = rest[1:]
    elif rest[0] in mod.children or rest[0] in mod.reexports:
        pass
    else:
        return None  # another crate, std, or a local item
    return tuple(base + rest)


def resolve(path, modules, depth=0):
    """The module that defines what `path` (absolute) names."""
    cur = modules[()]
    i = 0
    while i < len(path):
        seg = path[i]
        if seg in cur.children:
            cur = cur.children[seg]
            i += 1
        elif seg in cur.reexports and depth < 16:
            return resolve(cur.reexports[seg] + tuple(path[i + 1 :]), modules, depth + 1)
        else:
            break
    return cur.path


def analyse(modules):
    # Pass 1: the use trees, aliases and re-exports of every module.
    for mod in modules.values():
        mod.use_leaves = []
        for m in USE_RE.finditer(mod.text):
            vis, tree = m.group(1), m.group(2)
            leaves = split_aliases(tree)
            mod.use_leaves.append((vis, leaves))
    # Re-exports need absolute paths, which need children and re-exports: iterate.
    for _ in range(4):
        for mod in modules.values():
            for vis, leaves in mod.use_leaves:
                if not vis:
                    continue
                for segs, name in leaves:
                    if segs and segs[-1] in ("self", "*"):
                        continue
                    p = absolute(mod, segs, modules)
                    if p is not None:
                        mod.reexports[name] = p
    # Pass 2: every path each module names.
    for mod in modules.values():
        for vis, leaves in mod.use_leaves:
            for segs, _ in leaves:
                if segs and segs[-1] in ("self", "*"):
                    segs = segs[:-1]
                p = absolute(mod, segs, modules)
                if p is not None:
                    mod.uses.append(p)
        body = USE_RE.sub("", mod.text)
        for m in re.finditer(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", body):
            p = absolute(mod, m.group(1).split("::"), modules)
            if p is not None:
                mod.uses.append(p)
        for m in re.finditer(r"(?<![\w:])(\w+)((?:::\w+)+)", body):
            if m.group(1) in mod.children:
                p = absolute(mod, [m.group(1)] + m.group(2).split("::")[1:], modules)
                if p is not None:
                    mod.uses.append(p)
    edges = {}  # parent path -> {(a, b)}
    for mod in modules.values():
        for p in mod.uses:
            target = resolve(p, modules)
            a, b = mod.path, target
            k = 0
            while k < len(a) and k < len(b) and a[k] == b[k]:
                k += 1
            if k == len(a) or k == len(b):
                continue  # the same module, or a parent and its descendant
            edges.setdefault(a[:k], set()).add((a[k], b[k]))
    return edges


def split_aliases(tree):
    """Expanded leaves with their local names (`x as y` names `y`)."""
    tree = re.sub(r"\s+", " ", tree).strip()
    out = []
    for segs, _ in expand_use_tree(tree.replace(" as ", "§")):
        last = segs[-1] if segs else ""
        if "§" in last:
            orig, alias = last.split("§")
            out.append((segs[:-1] + [orig], alias))
        else:
            out.append((segs, last))
    return out


def cycles(nodes, edge_set):
    """Strongly connected components with more than one module."""
    graph = {n: sorted(b for a, b in edge_set if a == n) for n in nodes}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for n in sorted(graph):
        if n not in index:
            strong(n)
    return out


def check(crates, show=False):
    """Prints each crate's cycles (and with `show`, its edges); returns whether any was found."""
    failed = False
    for crate, path in crates.items():
        if not os.path.exists(path):
            continue
        modules = load(path)
        edges = analyse(modules)
        for parent in sorted(edges):
            where = "::".join(("crate",) + parent)
            es = edges[parent]
            nodes = sorted({x for e in es for x in e})
            if show:
                print(f"{crate} {where}:")
                for a in nodes:
                    outs = sorted(b for x, b in es if x == a)
                    if outs:
                        print(f"  {a} -> {', '.join(outs)}")
            for comp in cycles(nodes, es):
                failed = True
                pairs = sorted(f"{a} -> {b}" for a, b in es if a in comp and b in comp)
                print(f"{crate}: import cycle under {where} between {', '.join(comp)}: "
                      + "; ".join(pairs))
    return failed


def self_test():
    """The check finds a cycle through a re-export and a `super::` path, and none without."""
    import shutil
    import tempfile

    made = []

    def crate(files):
        d = tempfile.mkdtemp()
        made.append(d)
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
        return os.path.join(d, "lib.rs")

    lib = "mod a;\nmod b;\npub use b::B;\n"
    a = "use crate::B;\npub struct A;\n"
    cyclic = crate({"lib.rs": lib, "a.rs": a, "b/mod.rs": "mod c;\npub struct B;\n",
                    "b/c.rs": "use super::super::a::A; // \"crate::b\"\n"})
    acyclic = crate({"lib.rs": lib, "a.rs": a, "b/mod.rs": "pub struct B;\n"
                     "#[cfg(test)]\nmod t { use crate::a::A; }\n// use crate::a::A;\n"})
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        found = check({"cyclic": cyclic}), check({"acyclic": acyclic})
    for d in made:
        shutil.rmtree(d)
    if found != (True, False):
        sys.exit(f"module-cycles self-test failed: {found}, expected (True, False)")


def main():
    self_test()
    crates = {name: os.path.join(ROOT, root_file) for name, root_file in CRATES.items()}
    if check(crates, show="--graph" in sys.argv):
        sys.exit(1)
    print("module-cycles: no import cycle between sibling modules in any crate")


if __name__ == "__main__":
    main()
