#!/usr/bin/env python3
"""mimediff.py - differential test of our verifier against an independent
MIME parser (Python's email package) on every message we pass.

usage: mimediff.py [-g GMIME_PARTS] TOOL PKIDIR WORKDIR SEED.eml... [-- MORE.eml...]

The SEED messages (signed mail) are mutated the ways attackers and odd
mailers change MIME structure (transport padding, delimiter lookalikes in
preamble/epilogue/content, boundary parameters given twice or in RFC 2231
form, duplicate Content-Type fields, extra parts, wrapping), written to
WORKDIR, and together with the seeds and the MORE messages (other corpora)
verified by TOOL (test/unit/verify_tool) in one process.  For each message
whose Authentication-Results says smime=pass, Python's email package must
agree on what was signed:

  multipart/signed: the top level is multipart/signed for Python too, with
      exactly two parts, the second an S/MIME signature, no boundary defect,
      no preamble or epilogue line starting with "--" boundary; and the
      signature verifies (openssl cms -verify -binary) over the bytes of
      the first part as Python's parse tree gives it (part_bytes()), i.e.
      Python sees the same bytes as the signed part.
  application/pkcs7-mime: the top level is that type for Python too (one
      Content-Type field) and its decoded payload verifies with openssl.

With -g, GMime (test/verify/gmime_parts) must agree in the same way:
same top-level type, one Content-Type field, two parts with an S/MIME
signature second, and the signature verifying over GMime's first part (or
GMime's decoded pkcs7-mime payload verifying).

A disagreement on a pass is a failure.  The run also fails when fewer than
MIN_PASSES messages pass (the test would prove nothing).  Exit 0 / 1.
"""
import copy
import email
import email.generator
import email.policy
import io
import os
import random
import re
import subprocess
import sys
import tempfile

MIN_PASSES = 20
SIG_TYPES = ('application/pkcs7-signature', 'application/x-pkcs7-signature')
OPQ_TYPES = ('application/pkcs7-mime', 'application/x-pkcs7-mime')
EVIL = b'Content-Type: text/plain; charset=us-ascii\n\nVote for the other candidate.\n'


def crlf(data):
    """The message as the drivers hand it over: every bare LF as CRLF."""
    return re.sub(rb'(?<!\r)\n', b'\r\n', data)


def split_msg(data):
    """(header, body) at the first empty line, LF form."""
    data = data.replace(b'\r\n', b'\n')
    i = data.find(b'\n\n')
    return data[:i + 1], data[i + 2:]


def boundary_of(header):
    m = re.search(rb'boundary="?([^";\r\n]+)"?', header, re.I)
    return m.group(1) if m else None


def mutations(data, rnd):
    """Yield (tag, bytes) variants of one signed message (LF form)."""
    header, body = split_msg(data)
    b = boundary_of(header)
    if b is None or b'multipart/signed' not in header.lower():
        # Opaque: wrap it, duplicate its Content-Type.
        yield 'opq-dupct', header.replace(b'Content-Type:', b'Content-Type: text/plain\nContent-Type:', 1) + b'\n' + body
        yield 'opq-rfc822', _wrap_rfc822(header, body)
        return
    d = b'--' + b
    lines = body.split(b'\n')
    delims = [i for i, l in enumerate(lines) if l.rstrip(b' \t') in (d, d + b'--')]

    def join(ls):
        return header + b'\n' + b'\n'.join(ls)

    # Transport padding after every delimiter: legal, must still agree.
    for n in (1, 70, 255, 256, 257, 1000, 70000):
        ls = list(lines)
        for i in delims:
            ls[i] = ls[i].rstrip(b' \t') + (b' \t' * n)[:n]
        yield 'pad%d' % n, join(ls)
    for k in range(6):
        ls = list(lines)
        for i in delims:
            n = rnd.choice((0, 1, 3, 250, 253, 300, 5000))
            ls[i] = ls[i].rstrip(b' \t') + bytes(rnd.choice(b' \t') for _ in range(n))
        yield 'padrand%d' % k, join(ls)
    # Other "white space" after a delimiter: no delimiter for RFC 2046.
    for ws in (b'\x0b', b'\x0c', b'\xa0', b' \x00', b'\r'):
        ls = list(lines)
        ls[delims[0]] = ls[delims[0]].rstrip(b' \t') + ws
        yield 'ws%02x' % ws[-1], join(ls)
    # Delimiters and lookalikes placed in the preamble, between the
    # parts, in the content and in the epilogue.
    evil = EVIL.rstrip(b'\n').split(b'\n')
    for where, at in (('pre', delims[0]), ('mid', delims[1]), ('end', delims[-1]),
                      ('epi', len(lines) - 1), ('content', delims[0] + 3)):
        for tag, line in (('delim', d), ('pad', d + b' ' * 300), ('padtab', d + b'\t' * 260 + b' '),
                          ('close', d + b'--'), ('closepad', d + b'--' + b' ' * 400),
                          ('look', d + b'x'), ('lookpad', d + b' ' * 300 + b'x'),
                          ('look2', d + b'---'), ('lookws', d + b'\x0c')):
            ls = list(lines)
            ls[at:at] = [line] + evil + [b'']
            yield '%s-%s' % (where, tag), join(ls)
    # The boundary parameter given twice, in RFC 2231 form, with comments,
    # quoted differently, with other values readers might pick.
    half = len(b) // 2
    ctm = re.search(rb'(?im)^Content-Type:[^\n]*(\n[ \t][^\n]*)*', header)
    ct = ctm.group(0)
    base = re.sub(rb';?\s*boundary="?[^";\n]+"?', b'', ct)
    for tag, params in (
            ('quoted', b'; boundary="' + b + b'"'),
            ('token', b'; boundary=' + b),
            ('spaced', b'; boundary = "' + b + b'"'),
            ('folded', b';\n\tboundary="' + b + b'"'),
            ('2231', b'; boundary*0="' + b[:half] + b'"; boundary*1="' + b[half:] + b'"'),
            ('2231ext', b"; boundary*=us-ascii''" + b),
            ('dup-plain', b'; boundary="evil"; boundary="' + b + b'"'),
            ('dup-plain2', b'; boundary="' + b + b'"; boundary="evil"'),
            ('dup-case', b'; boundary="evil"; BOUNDARY="' + b + b'"'),
            ('dup-2231', b'; boundary="evil"; boundary*0="' + b[:half] + b'"; boundary*1="' + b[half:] + b'"'),
            ('dup-2231b', b'; boundary*0="' + b[:half] + b'"; boundary*1="' + b[half:] + b'"; boundary="evil"'),
            ('dup-ext', b"; boundary*=''" + b + b'; boundary="evil"'),
            ('gap-2231', b'; boundary*0="' + b[:half] + b'"; boundary*1="' + b[half:] + b'"; boundary*3="x"'),
            ('same-twice', b'; boundary="' + b + b'"; boundary="' + b + b'"'),
            ('comment', b'; boundary=' + b + b'(evil)'),
            ('comment2', b'; boundary="' + b + b'" (evil)'),
            ('trail-space', b'; boundary="' + b + b' "'),
            ('escaped', b'; boundary="' + b.replace(b'-', b'\\-', 1) + b'"'),
            ('semicolon', b'; boundary="' + b + b'";'),
            ('evil-quote', b'; boundary="' + b + b'\\"'),
            ('quote-junk', b'; boundary="' + b + b'"junk'),
            ('no-semicolon', b'; boundary="' + b + b'" micalg=sha-256'),
            ('token-space', b'; boundary=' + b + b' x'),
            ('slash-space', b'; boundary="' + b + b'"'),
    ):
        h = header.replace(ct, base + params)
        if tag == 'slash-space':
            h = h.replace(b'multipart/signed', b'multipart / signed', 1)
        if tag == 'trail-space':
            body2 = body.replace(d, d + b' ')
            yield 'param-' + tag, h + b'\n' + body2
        yield 'param-' + tag, h + b'\n' + body
        # With an "evil" structure in the preamble for readers that pick it.
        ls = list(lines)
        ls[delims[0]:delims[0]] = [b'--evil'] + evil + [b'', b'--evil--']
        yield 'param-' + tag + '-evil', h + b'\n' + b'\n'.join(ls)
    # Duplicate Content-Type fields, before and after.
    yield 'dupct-after', header.replace(ct, ct + b'\nContent-Type: multipart/mixed; boundary="evil"') + b'\n' + body
    yield 'dupct-before', header.replace(ct, b'Content-Type: multipart/mixed; boundary="evil"\n' + ct) + b'\n' + body
    yield 'dupct-same', header.replace(ct, ct + b'\n' + ct) + b'\n' + body
    # Header field spelling.
    yield 'ct-lower', header.replace(ct, ct.replace(b'Content-Type', b'content-type')) + b'\n' + body
    yield 'ct-space', header.replace(ct, ct.replace(b'Content-Type:', b'Content-Type :')) + b'\n' + body
    # Extra parts, missing parts, missing close delimiter.
    ls = list(lines)
    ls[delims[-1]:delims[-1]] = [d] + evil + [b'']
    yield 'third-after', join(ls)
    ls = list(lines)
    ls[delims[1]:delims[1]] = [d] + evil + [b'']
    yield 'third-middle', join(ls)
    ls = list(lines)
    del ls[delims[-1]]
    yield 'noclose', join(ls)
    ls = list(lines)
    ls.insert(delims[-1] + 1, d + b'--')
    yield 'twoclose', join(ls)
    # Headers of the signature part: duplicate Content-Type, odd names.
    ls = list(lines)
    ls.insert(delims[1] + 1, b'Content-Type: text/plain')
    yield 'sig-dupct-first', join(ls)
    ls = list(lines)
    ls.insert(delims[1] + 2, b'Content-Type: text/plain')
    yield 'sig-dupct-second', join(ls)
    ls = list(lines)
    ls[delims[1] + 1] = ls[delims[1] + 1].replace(b'Content-Type:', b'Content-Type :')
    yield 'sig-ct-space', join(ls)
    ls = list(lines)
    ls.insert(delims[1] + 1, b' folded-first-line')
    yield 'sig-first-continuation', join(ls)
    ls = list(lines)
    ls.insert(delims[1] + 1, b'X-Junk')
    yield 'sig-no-colon', join(ls)
    ls = list(lines)
    ls[delims[1] + 1] = ls[delims[1] + 1].replace(b'Content-Type: ', b'Content-Type:\t')
    yield 'sig-ct-tab', join(ls)
    # Delimiter lines with CR only or a NUL inside.
    ls = list(lines)
    ls[delims[1]] = ls[delims[1]] + b'\r'
    yield 'delim-cr', join(ls)
    ls = list(lines)
    ls[delims[1]] = ls[delims[1]] + b'\x00'
    yield 'delim-nul', join(ls)
    # Wrapped: forwarded, mixed, top-level message/rfc822.
    yield 'wrap-rfc822', _wrap_rfc822(header, body)
    yield 'wrap-mixed', (b'From: taro@example.jp\nMIME-Version: 1.0\n'
                         b'Content-Type: multipart/mixed; boundary="w"\n\n--w\n'
                         + EVIL + b'\n--w\n' + ct + b'\n\n' + body + b'\n--w--\n')


def _wrap_rfc822(header, body):
    return (b'From: taro@example.jp\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n'
            + header + b'\n' + body)


def parse_results(out):
    """verify_tool output for several messages: list of (A-R, detail)."""
    res = []
    for chunk in out.split('\n--\n'):
        if not chunk.strip():
            continue
        ar = []
        on = False
        for line in chunk.split('\n'):
            if line.startswith('Authentication-Results: '):
                on = True
                ar.append(line[len('Authentication-Results: '):])
            elif on and line.startswith('\t'):
                ar.append(' ' + line[1:])
            else:
                on = False
        res.append(''.join(ar))
    return res


def openssl_verify(pki, work, sig_der, content):
    """True when openssl accepts sig_der over content (None: attached)."""
    fd, sigf = tempfile.mkstemp(dir=work)
    os.write(fd, sig_der)
    os.close(fd)
    args = ['openssl', 'cms', '-verify', '-inform', 'DER', '-in', sigf, '-binary',
            '-CAfile', os.path.join(pki, 'trust.pem'), '-certfile',
            os.path.join(pki, 'chain.pem'), '-purpose', 'smimesign', '-out', os.devnull]
    conf = None
    if content is not None:
        fd, conf = tempfile.mkstemp(dir=work)
        os.write(fd, content)
        os.close(fd)
        args[3:3] = ['-content', conf]
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.unlink(sigf)
    if conf:
        os.unlink(conf)
    return r.returncode == 0


def _generator(buf):
    pol = email.policy.compat32.clone(linesep='\r\n', max_line_length=0)
    return email.generator.BytesGenerator(buf, mangle_from_=False, maxheaderlen=0,
                                          policy=pol)


def _lines(text):
    return re.sub(r'\r\n|\r|\n', '\r\n', text).encode('utf-8', 'surrogateescape')


MAX_VARIANTS = 16


def part_bytes(part):
    """The byte strings Python's parse of part can stand for, CRLF line
    ends, nothing refolded.  A leaf has one.  A multipart has one per
    choice, for each nested multipart whose epilogue is empty, of whether
    a CRLF followed its close delimiter: Python's model (epilogue '')
    cannot tell the two apart, and its generator always writes the CRLF."""
    if not part.is_multipart():
        buf = io.BytesIO()
        _generator(buf).flatten(part)
        return [buf.getvalue()]
    shell = copy.copy(part)
    shell.set_payload('')
    buf = io.BytesIO()
    _generator(buf).flatten(shell)
    head = buf.getvalue()
    if part.preamble is not None:
        head += _lines(part.preamble) + b'\r\n'
    if part.get_boundary() is None:	# message/rfc822: one message inside
        return [head + m for m in part_bytes(part.get_payload()[0])]
    d = b'--' + part.get_boundary().encode('utf-8', 'surrogateescape')
    bodies = [head + d + b'\r\n']
    for i, child in enumerate(part.get_payload()):
        sep = b'' if i == 0 else b'\r\n' + d + b'\r\n'
        bodies = [b + sep + c for b in bodies for c in part_bytes(child)][:MAX_VARIANTS]
    bodies = [b + b'\r\n' + d + b'--' for b in bodies]
    if part.epilogue is None:
        return bodies
    if part.epilogue == '':
        return (bodies + [b + b'\r\n' for b in bodies])[:MAX_VARIANTS]
    return [b + b'\r\n' + _lines(part.epilogue) for b in bodies]


BOUNDARY_DEFECTS = ('StartBoundaryNotFoundDefect', 'CloseBoundaryNotFoundDefect',
                    'MultipartInvariantViolationDefect', 'NoBoundaryInMultipartDefect',
                    'MisplacedEnvelopeHeaderDefect', 'MissingHeaderBodySeparatorDefect')


def python_agrees(data, pki, work):
    """'' when Python sees what we passed, else the disagreement."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    ctype = msg.get_content_type()
    if len(msg.get_all('Content-Type') or []) != 1:
        return 'Content-Type fields: %d' % len(msg.get_all('Content-Type') or [])
    if ctype in OPQ_TYPES:
        der = msg.get_payload(decode=True)
        if not der or not openssl_verify(pki, work, der, None):
            return 'Python\'s pkcs7-mime payload does not verify'
        return ''
    if ctype != 'multipart/signed':
        return 'Python sees top-level %s' % ctype
    for d in msg.defects:
        if type(d).__name__ in BOUNDARY_DEFECTS:
            return 'Python: %s' % type(d).__name__
    parts = msg.get_payload()
    if not isinstance(parts, list) or len(parts) != 2:
        return 'Python sees %s parts' % (len(parts) if isinstance(parts, list) else 'no')
    if parts[1].get_content_type() not in SIG_TYPES:
        return 'Python sees second part %s' % parts[1].get_content_type()
    delim = '--' + (msg.get_boundary() or '')
    for name, text in (('preamble', msg.preamble), ('epilogue', msg.epilogue)):
        for line in (text or '').splitlines():
            if line.startswith(delim):
                return 'Python %s has a delimiter-like line' % name
    der = parts[1].get_payload(decode=True)
    tries = part_bytes(parts[0])
    if not der or not any(openssl_verify(pki, work, der, t) for t in tries):
        return 'signature does not verify over Python\'s first part'
    return ''


def close_crlf_variants(data):
    """data, and data without the CRLF GMime writes after a close
    delimiter that the original may not have had (before the next
    delimiter or at the end): its model cannot tell them apart, as
    Python's cannot (part_bytes())."""
    spots = [m.end() - 2 for m in
             re.finditer(rb'(?m)^--[^\r\n]*--\r\n(?=\r\n--|$)', data)
             if m.end() == len(data) or data[m.end():m.end() + 4] == b'\r\n--']
    out = [data]
    for pos in reversed(spots[:4]):
        out += [v[:pos] + v[pos + 2:] for v in out]
    return out[:MAX_VARIANTS]


def gmime_agrees(gmime, data, pki, work):
    """'' when GMime sees what we passed, else the disagreement."""
    fd, path = tempfile.mkstemp(dir=work, suffix='.eml')
    os.write(fd, data)
    os.close(fd)
    prefix = path + '.gm'
    r = subprocess.run([gmime, path, prefix], capture_output=True, text=True)
    lines = r.stdout.split('\n')
    try:
        if r.returncode != 0 or not lines[0]:
            return 'GMime cannot parse it'
        ctype, nparts, nct = lines[0].split()
        if nct != '1':
            return 'GMime sees %s Content-Type fields' % nct
        sig = open(prefix + '.sig', 'rb').read() if os.path.exists(prefix + '.sig') else b''
        if ctype in OPQ_TYPES:
            if not sig or not openssl_verify(pki, work, sig, None):
                return 'GMime\'s pkcs7-mime payload does not verify'
            return ''
        if ctype != 'multipart/signed':
            return 'GMime sees top-level %s' % ctype
        if nparts != '2':
            return 'GMime sees %s parts' % nparts
        if len(lines) < 2 or lines[1].split()[-1] not in SIG_TYPES:
            return 'GMime sees second part %s' % lines[1:2]
        first = open(prefix + '.1', 'rb').read()
        if not sig or not any(openssl_verify(pki, work, sig, t)
                              for t in close_crlf_variants(first)):
            return 'signature does not verify over GMime\'s first part'
        return ''
    finally:
        for f in (path, prefix + '.1', prefix + '.sig'):
            if os.path.exists(f):
                os.unlink(f)


def main():
    args = sys.argv[1:]
    gmime = None
    if args[:1] == ['-g']:
        gmime, args = args[1], args[2:]
    if len(args) < 4:
        sys.exit(__doc__)
    tool, pki, work = args[:3]
    rest = args[3:]
    more = []
    if '--' in rest:
        i = rest.index('--')
        rest, more = rest[:i], rest[i + 1:]
    rnd = random.Random(10)
    files = []
    for seed in rest:
        data = open(seed, 'rb').read()
        base = os.path.basename(seed).rsplit('.', 1)[0]
        files.append(seed)
        for k, (tag, variant) in enumerate(mutations(data, rnd)):
            path = os.path.join(work, '%s.%03d.%s.eml' % (base, k, tag))
            with open(path, 'wb') as f:
                f.write(variant)
            files.append(path)
    files += more
    r = subprocess.run([tool, '-t', os.path.join(pki, 'trust.pem'), '-i',
                        os.path.join(pki, 'chain.pem'), '-'],
                       input='\n'.join(files) + '\n', capture_output=True, text=True,
                       errors='replace')
    results = parse_results(r.stdout)
    if len(results) != len(files):
        print('FAIL: %d results for %d messages\n%s' % (len(results), len(files), r.stderr))
        return 1
    fails = passes = 0
    for path, ar in zip(files, results):
        # The method's result, not "smime=pass" anywhere (a From address
        # such as a@examplesmime=pass.jp is a property value).
        m = re.search(r'(?:^|;)\s*smime=([a-z]+)', ar)
        if m is None or m.group(1) != 'pass':
            continue
        passes += 1
        data = crlf(open(path, 'rb').read())
        why = python_agrees(data, pki, work)
        if not why and gmime:
            why = gmime_agrees(gmime, data, pki, work)
        if why:
            fails += 1
            print('FAIL %s: we pass, but %s\n  %s' % (os.path.basename(path), why, ar))
        else:
            print('ok %s' % os.path.basename(path))
    print('%d messages, %d passed, %d disagreements' % (len(files), passes, fails))
    if passes < MIN_PASSES:
        print('FAIL: only %d passes (at least %d expected)' % (passes, MIN_PASSES))
        return 1
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
