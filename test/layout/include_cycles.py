#!/usr/bin/env python3
"""include_cycles.py [SRCDIR] - include cycles in smime/, conf/, milter/,
enroll/, read from #include lines:
 1. header files: a.h includes (transitively) itself;
 2. modules (one .c file each): A -> B when A.c uses a function that B.c
    defines and A reaches its declaration through its #include lines
    (transitively).  A cycle A -> ... -> A means two files that cannot be
    understood, tested or replaced apart (ar.c <-> verify.c before
    result.c).  Exit 1 when there is a cycle."""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else '.'
dirs = ['smime', 'conf', 'milter', 'enroll']
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
def_re = re.compile(r'^([A-Za-z_]\w*)\(', re.M)      # OpenBSD style: name at column 0
ident_re = re.compile(r'\b([A-Za-z_]\w*)\s*\(')
def strip(t):
    t = re.sub(r'/\*.*?\*/', ' ', t, flags=re.S)
    return re.sub(r'"(\\.|[^"\\])*"', '""', t)
files = {}
for d in dirs:
    p = os.path.join(root, d)
    if os.path.isdir(p):
        for f in sorted(os.listdir(p)):
            if f.endswith(('.c', '.h')):
                files[d + '/' + f] = open(os.path.join(p, f), errors='replace').read()
incs = {f: [m for m in inc_re.findall(t) if m in files] for f, t in files.items()}
defs = {}
for f, t in files.items():
    if f.endswith('.c'):
        for n in def_re.findall(strip(t)):
            defs.setdefault(n, f)
def cycles(g):
    idx, low, st, on, out, c = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(100000)
    def sc(v):
        idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in idx: sc(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], idx[w])
        if low[v] == idx[v]:
            comp = []
            while True:
                w = st.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1 or v in g.get(v, ()): out.append(sorted(comp))
    for v in sorted(g):
        if v not in idx: sc(v)
    return out
bad = 0
hg = {f: set(i for i in incs[f] if i.endswith('.h')) for f in files if f.endswith('.h')}
for comp in cycles(hg):
    bad = 1; print('header include cycle:', ' -> '.join(comp))
def reach(f):
    seen, todo = set(), list(incs[f])
    while todo:
        h = todo.pop()
        if h not in seen:
            seen.add(h); todo += incs.get(h, [])
    return seen
declared = {}
for h, t in files.items():
    if h.endswith('.h'):
        declared[h] = set(ident_re.findall(strip(t)))
mg, why = {}, {}
for f, t in files.items():
    if not f.endswith('.c'): continue
    used = set(ident_re.findall(strip(t)))
    mg[f] = set()
    for h in reach(f):
        for n in used & declared.get(h, set()):
            b = defs.get(n)
            if b and b != f:
                mg[f].add(b); why.setdefault((f, b), set()).add(n)
for comp in cycles(mg):
    bad = 1; print('module cycle:', ' <-> '.join(comp))
    for a in comp:
        for b in sorted(mg[a]):
            if b in comp: print('   %s uses %s' % (a, ', '.join(sorted(why[(a, b)])[:4])), 'from', b)
if not bad: print('no include cycle (%d headers, %d modules)' % (len(hg), len(mg)))
sys.exit(bad)
