#!/usr/bin/env python3
"""archeck.py - check our header fields with independent parsers.

  archeck.py ar EXPECTED GOT     both values parse with the authres module
                                 (RFC 8601/7281) to the same results
  archeck.py signer EXPECTED GOT GOT (an RFC 2047 value, folded with
                                 "\\n\\t") decodes to EXPECTED and every
                                 encoded word is at most 75 characters
Exit 0 when the check holds, 1 with a message when not.
"""
import re
import sys
from email.header import decode_header, make_header


def ar_struct(value):
    import authres
    h = authres.AuthenticationResultsHeader.parse(
        'Authentication-Results: ' + value)
    return (h.authserv_id.lower(),
            [(r.method, r.result,
              [(p.type, p.name, p.value) for p in r.properties])
             for r in h.results])


def main():
    kind, want, got = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == 'ar':
        w, g = ar_struct(want), ar_struct(got)
        if w != g:
            print('authres: want %r\n         got  %r' % (w, g))
            return 1
        return 0
    words = re.findall(r'=\?[^?]*\?[bBqQ]\?[^?]*\?=', got)
    if any(len(x) > 75 for x in words):
        print('encoded word longer than 75: %r' % got)
        return 1
    lines = got.split('\n')
    if words and (len('X-SMIME-Signer: ' + lines[0]) > 76 or
                  any(len(x.expandtabs(1)) > 76 for x in lines[1:])):
        print('line longer than 76: %r' % got)
        return 1
    dec = str(make_header(decode_header(got.replace('\n\t', ' '))))
    if dec != want:
        print('signer: want %r got %r' % (want, dec))
        return 1
    return 0


sys.exit(main())
