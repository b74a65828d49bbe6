#!/usr/bin/env python3
"""promparse.py - a strict reader of the Prometheus text exposition format
0.0.4, for test/client/metrics.sh.

  promparse.py FILE            check FILE, print "series value" lines
                               (labels sorted) for the shell to grep
  promparse.py --selftest      check the checker on good and bad pages

Checked: every sample belongs to a family announced by exactly one
"# HELP" and one "# TYPE" line before it, families are contiguous and not
repeated, names and label names are valid, label values use only the
escapes \\\\ \\" \\n, values are floats, no series appears twice, counters end
in _total and are >= 0, histograms have cumulative _bucket series ending
in le="+Inf" equal to _count, plus _sum.
"""
import math
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


class Bad(Exception):
    pass


def parse_labels(text, lineno):
    """Parse 'a="x",b="y"' (the part inside braces) into a dict."""
    labels = {}
    i = 0
    while i < len(text):
        m = re.match(r'([a-zA-Z_][a-zA-Z0-9_]*)="', text[i:])
        if not m:
            raise Bad('line %d: bad label at %r' % (lineno, text[i:]))
        name = m.group(1)
        i += m.end()
        value = []
        while True:
            if i >= len(text):
                raise Bad('line %d: unterminated label value' % lineno)
            c = text[i]
            if c == '\\':
                nxt = text[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise Bad('line %d: bad escape \\%s' % (lineno, nxt))
                value.append({'\\': '\\', '"': '"', 'n': '\n'}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                raise Bad('line %d: raw newline in label value' % lineno)
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise Bad('line %d: label %s twice' % (lineno, name))
        labels[name] = ''.join(value)
        if i < len(text):
            if text[i] != ',':
                raise Bad('line %d: expected , between labels' % lineno)
            i += 1
    return labels


def split_sample(line, lineno):
    """'name{labels} value [ts]' -> (name, labels, value)."""
    m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)', line)
    if not m:
        raise Bad('line %d: no metric name: %r' % (lineno, line))
    name = m.group(1)
    rest = line[m.end():]
    labels = {}
    if rest.startswith('{'):
        # Find the closing brace outside quoted values.
        i, inq = 1, False
        while i < len(rest):
            if inq and rest[i] == '\\':
                i += 2
                continue
            if rest[i] == '"':
                inq = not inq
            elif rest[i] == '}' and not inq:
                break
            i += 1
        else:
            raise Bad('line %d: unterminated label set' % lineno)
        labels = parse_labels(rest[1:i], lineno)
        rest = rest[i + 1:]
    parts = rest.split()
    if not rest.startswith(' ') or len(parts) not in (1, 2):
        raise Bad('line %d: expected " value [timestamp]": %r' % (lineno, rest))
    try:
        value = float(parts[0])
    except ValueError:
        raise Bad('line %d: value %r is not a float' % (lineno, parts[0]))
    if len(parts) == 2 and not re.match(r'-?[0-9]+$', parts[1]):
        raise Bad('line %d: bad timestamp %r' % (lineno, parts[1]))
    return name, labels, value


def family_of(name, families):
    """The family a sample name belongs to (histogram suffixes)."""
    if name in families:
        return name
    for suffix in ('_bucket', '_sum', '_count'):
        if name.endswith(suffix):
            base = name[:-len(suffix)]
            if families.get(base, {}).get('type') in ('histogram', 'summary'):
                return base
    return None


def parse(text):
    """Check a whole page; return {series: value}."""
    if text and not text.endswith('\n'):
        raise Bad('page does not end with a newline')
    families = {}
    order = []
    series = {}
    current = None
    for lineno, line in enumerate(text.split('\n')[:-1], 1):
        if line == '':
            continue
        if line.startswith('#'):
            m = re.match(r'# (HELP|TYPE) (\S+)(?: (.*))?$', line)
            if not m:
                if line.startswith('# HELP') or line.startswith('# TYPE'):
                    raise Bad('line %d: bad %r' % (lineno, line))
                continue
            kind, name, rest = m.group(1), m.group(2), m.group(3) or ''
            if not NAME.match(name):
                raise Bad('line %d: bad metric name %s' % (lineno, name))
            fam = families.setdefault(name, {})
            if fam.get('samples'):
                raise Bad('line %d: %s after its samples' % (lineno, kind))
            if name in order and current != name:
                raise Bad('line %d: family %s repeated' % (lineno, name))
            if kind in fam:
                raise Bad('line %d: second %s for %s' % (lineno, kind, name))
            if kind == 'TYPE':
                if rest not in TYPES:
                    raise Bad('line %d: unknown type %r' % (lineno, rest))
                fam['type'] = rest
            else:
                if re.search(r'\\[^\\n]', rest):
                    raise Bad('line %d: bad escape in HELP' % lineno)
                fam['help'] = rest
            if name not in order:
                order.append(name)
            current = name
            continue
        name, labels, value = split_sample(line, lineno)
        for label in labels:
            if not LABEL.match(label) or label.startswith('__'):
                raise Bad('line %d: bad label name %s' % (lineno, label))
        fam_name = family_of(name, families)
        if fam_name is None:
            raise Bad('line %d: sample %s without HELP/TYPE' % (lineno, name))
        fam = families[fam_name]
        if 'help' not in fam or 'type' not in fam:
            raise Bad('line %d: %s lacks HELP or TYPE' % (lineno, fam_name))
        if fam_name != current:
            raise Bad('line %d: %s not contiguous' % (lineno, fam_name))
        fam.setdefault('samples', []).append((name, labels, value))
        key = name + '{' + ','.join('%s="%s"' % (k, labels[k])
                                    for k in sorted(labels)) + '}'
        if key in series:
            raise Bad('line %d: series %s twice' % (lineno, key))
        series[key] = value
    for name, fam in families.items():
        if 'type' not in fam or 'help' not in fam:
            raise Bad('family %s lacks HELP or TYPE' % name)
        check_family(name, fam)
    return series


def check_family(name, fam):
    samples = fam.get('samples', [])
    if fam['type'] == 'counter':
        if not name.endswith('_total'):
            raise Bad('counter %s does not end in _total' % name)
        for _, _, v in samples:
            if v < 0 or math.isnan(v):
                raise Bad('counter %s has value %r' % (name, v))
    if fam['type'] != 'histogram':
        return
    groups = {}
    for sname, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != 'le'))
        g = groups.setdefault(rest, {'buckets': []})
        if sname == name + '_bucket':
            if 'le' not in labels:
                raise Bad('%s bucket without le' % name)
            g['buckets'].append((float(labels['le']), value))
        elif sname == name + '_sum':
            g['sum'] = value
        elif sname == name + '_count':
            g['count'] = value
        else:
            raise Bad('%s: unexpected sample %s' % (name, sname))
    for g in groups.values():
        b = g['buckets']
        if not b or b[-1][0] != math.inf:
            raise Bad('%s: no le="+Inf" bucket last' % name)
        if [le for le, _ in b] != sorted(le for le, _ in b):
            raise Bad('%s: buckets not in order' % name)
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise Bad('%s: buckets not cumulative' % name)
        if 'sum' not in g or 'count' not in g or g['count'] != b[-1][1]:
            raise Bad('%s: _sum/_count missing or _count != +Inf' % name)


def selftest():
    good = ('# HELP a_total A.\n# TYPE a_total counter\n'
            'a_total{x="q\\"\\\\\\n"} 1\n'
            '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\n'
            'h_bucket{le="+Inf"} 2\nh_sum 3.5\nh_count 2\n')
    s = parse(good)
    assert s['a_total{x="q"\\\n"}'] == 1, s
    bad = [
        'a_total 1\n',                                   # no HELP/TYPE
        '# TYPE a_total counter\na_total 1\n',           # no HELP
        '# HELP a_total A.\n# TYPE a_total counter\na_total{x="\\t"} 1\n',
        '# HELP a A.\n# TYPE a counter\na 1\n',           # counter name
        '# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total 2\n',
        '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\n'
        'h_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',   # not cumulative
        '# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\n'
        'h_sum 1\nh_count 2\n',                          # count != +Inf
        '# HELP g G.\n# TYPE g gauge\ng x\n',            # not a float
        '# HELP g G.\n# TYPE g gauge\ng 1',              # no final newline
    ]
    for page in bad:
        try:
            parse(page)
        except Bad:
            continue
        raise AssertionError('accepted a bad page: %r' % page)
    print('promparse self-test ok')


def main():
    if sys.argv[1:] == ['--selftest']:
        selftest()
        return 0
    with open(sys.argv[1], encoding='utf-8') as f:
        text = f.read()
    try:
        series = parse(text)
    except Bad as e:
        print('promparse: %s' % e, file=sys.stderr)
        return 1
    for key in sorted(series):
        print('%s %r' % (key, series[key]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
