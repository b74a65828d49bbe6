#!/bin/sh
# docs-options.sh - what the man pages promise an admin is what the
# binaries do (a newcomer follows smime-milter(8), smime-milter.conf(5) and
# smime-enroll(8) as written):
#   1. every option in smime-milter's usage (-h) is in smime-milter(8) and
#      every option smime-milter(8) lists is in the usage;
#   2. the same for smime-enroll: every subcommand and --option of its
#      usage is in smime-enroll(8) and every --option the man page names
#      is in the usage;
#   3. every setting `smime-milter -T` prints has an entry in
#      smime-milter.conf(5), and every entry there is a setting -T prints;
#   4. each entry's documented default ("(type, default X)") is the value
#      -T prints for a configuration that does not set it (unset/none/empty
#      must print as not set).
# Exit: 0 pass, 1 fail, 77 skip (binaries, man pages or python3 missing).
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
smf=$top_builddir/milter/smime-milter
enr=$top_builddir/enroll/smime-enroll
for f in "$smf" "$enr" "$top_builddir/milter/smime-milter.8" \
    "$top_builddir/milter/smime-milter.conf.5" "$top_builddir/enroll/smime-enroll.8"; do
	[ -e "$f" ] || { echo "SKIP: $f not built"; exit 77; }
done
PY=python3
command -v "$PY" >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/docs-options.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
# A minimal configuration: everything else at its default (any readable
# PEM file will do as trust anchors for -T).
printf 'socket = "unix:%s/sock";\nverify = { trust_anchors = "%s/ta.pem"; };\n' \
    "$work" "$work" > "$work/min.conf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=docs-options -days 2 -keyout "$work/ta.key" -out "$work/ta.pem" \
    > /dev/null 2>&1 || { echo "FAIL: openssl req"; exit 1; }
"$smf" -h > "$work/smf.usage" 2>&1
"$enr" --help > "$work/enr.usage" 2>&1
"$smf" -c "$work/min.conf" -T > "$work/T" 2>&1 ||
	{ cat "$work/T"; echo "FAIL: smime-milter -T on a minimal configuration"; exit 1; }
exec "$PY" - "$work" "$top_builddir" <<'PYEOF'
import re, sys
work, bld = sys.argv[1], sys.argv[2]
fails = []
def rd(p):
    with open(p, encoding="utf-8") as f:
        return f.read()
def plain(t):
    """roff source to text: fonts, escapes and quotes of macro arguments."""
    t = re.sub(r"\\f[BIRP]", "", t).replace("\\-", "-").replace("\\(dq", '"')
    t = t.replace("\\&", "").replace("\\(em", "-")
    return t

# 1. smime-milter options
usage = rd(f"{work}/smf.usage")
uopts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[A-Za-z])\b", usage))
# the bracketed flag cluster [-fnTV]
for c in re.findall(r"\[-([A-Za-z]{2,})\]", usage):
    uopts |= {"-" + x for x in c}
man8 = rd(f"{bld}/milter/smime-milter.8")
mopts = set()
for line in man8.splitlines():
    m = re.match(r"^\.(?:B|BI|BR|IP|TP)\s+\\-(\\-[a-z][a-z\\-]*|[A-Za-z])\b", line)
    if m:
        mopts.add("-" + plain(m.group(1)))
for o in sorted(uopts - mopts):
    fails.append(f"smime-milter: usage has {o}, smime-milter(8) does not list it")
for o in sorted(mopts - uopts):
    fails.append(f"smime-milter(8) lists {o}, the usage does not have it")

# 2. smime-enroll subcommands and options
usage = rd(f"{work}/enr.usage")
usubs = set(re.findall(r"^  ([a-z][a-z-]+)\b", usage, re.M))
uopts = set(re.findall(r"(--[a-z][a-z-]*)", usage)) | {"--config"}
man8e = plain(rd(f"{bld}/enroll/smime-enroll.8"))
for s in sorted(usubs):
    if not re.search(r"^\.(?:B|BI|BR|TP|SS)\s+\"?" + re.escape(s) + r"\b", man8e, re.M):
        fails.append(f"smime-enroll: subcommand {s} has no entry in smime-enroll(8)")
for o in sorted(uopts):
    if o not in man8e:
        fails.append(f"smime-enroll: usage has {o}, smime-enroll(8) does not")
for o in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z])", man8e)) - uopts):
    fails.append(f"smime-enroll(8) names {o}, the usage does not have it")

# 3./4. settings and defaults
T = {}
grp = ""
depth = 0
for line in rd(f"{work}/T").splitlines():
    s = line.strip()
    if not s or (s.startswith("#") and ":" not in s):
        continue
    m = re.match(r"^(\w+) = \{$", s)
    if m:
        if depth == 0:
            grp = m.group(1) + "."
            depth = 1
        else:
            T[grp + m.group(1)] = "{}"
            depth += 1
        continue
    if s == "};":
        depth -= 1
        if depth == 0:
            grp = ""
        continue
    if depth > 1:
        continue
    m = re.match(r"^# (\w+): (.*)$", s)
    if m:
        T[grp + m.group(1)] = None if m.group(2) in ("not set", "none") else m.group(2)
        continue
    m = re.match(r"^(\w+) = (.*);$", s)
    if m:
        T[grp + m.group(1)] = m.group(2)
conf5 = rd(f"{bld}/milter/smime-milter.conf.5")
sect = ""
doc = {}
lines = conf5.splitlines()
for i, line in enumerate(lines):
    if line.startswith(".SH "):
        sect = line[4:].strip('"')
    if line != ".TP" or i + 1 >= len(lines) or sect not in (
            "TOP-LEVEL SETTINGS", "SIGN GROUP", "VERIFY GROUP", "ENROLL GROUP"):
        continue
    keyline = plain(lines[i + 1])
    m = re.match(r"^\.B[R]?\s+(.*)$", keyline)
    if not m:
        continue
    names = re.findall(r"[a-z_0-9]+(?:\.[a-z_0-9]+)?", m.group(1).replace('"', ""))
    # a top-level setting, or GROUP.KEY (not the keys of an identity entry)
    if not names or (sect != "TOP-LEVEL SETTINGS" and "." not in names[0]):
        continue
    # the "(type, default X)" line, possibly continued by macro lines
    j, par = i + 2, ""
    while j < len(lines) and j < i + 12:
        par += " " + re.sub(r"^\.[A-Z]{1,2}\s+", "", plain(lines[j]))
        if par.count("(") and par.count("(") <= par.count(")"):
            break
        j += 1
    if not par.strip().startswith("("):
        continue
    for n in names:
        doc[n] = par.strip()
for k in sorted(T):
    if k not in doc:
        fails.append(f"-T prints {k}; smime-milter.conf(5) has no entry for it")
for k in sorted(doc):
    if k not in T:
        fails.append(f"smime-milter.conf(5) documents {k}; -T does not print it")
def norm(v):
    v = v.strip().strip('"')
    v = re.sub(r'[\s"]', "", v)
    m = re.fullmatch(r"(\d+)([KMG])", v)
    if m:
        v = str(int(m.group(1)) << {"K": 10, "M": 20, "G": 30}[m.group(2)])
    return v
for k, par in sorted(doc.items()):
    if k not in T:
        continue
    m = re.search(r"\bdefault:?\s+(.*)\)\s*$", par) or re.search(r"\bdefault:?\s+(.*)$", par)
    if not m:
        if "required" not in par:
            fails.append(f"smime-milter.conf(5): {k} names no default: {par}")
        continue
    dv = m.group(1).strip()
    tv = T[k]
    if re.match(r"^(unset|none|empty)\b", dv):
        if tv not in (None, "[]", "{}", "()"):
            fails.append(f"{k}: smime-milter.conf(5) says default {dv}, -T prints {tv}")
        continue
    if dv.startswith("the host name") or dv.startswith("$TMPDIR"):
        continue
    if dv.startswith("["):
        dv = dv[:dv.index("]") + 1] if "]" in dv else dv
    else:
        dv = re.split(r",|\s+or\s+|\s+\(", dv)[0]
    if tv is None or norm(dv) != norm(tv):
        fails.append(f"{k}: smime-milter.conf(5) says default {dv}, -T prints {tv}")
for f in fails:
    print("FAIL:", f)
if fails:
    sys.exit(1)
print(f"ok: {len(T)} settings and their defaults, smime-milter and smime-enroll options agree with the man pages")
PYEOF
