#!/usr/bin/env python3
"""check.py SRCDIR - the layering rules of the source tree (issue 16):
 1. smime/ is a library: no libmilter, syslog or libconfig, and no
    process control or user database (fork/exec/spawn, kill/pidfd,
    waitpid, getpwnam/getgrnam..., setuid...): those belong to the front
    ends (milter/, enroll/);
 2. the store's file names are spelled once, in smime/storelayout.h:
    no other string literal in smime/, enroll/ or milter/ names
    cert.pem, key.pem, key.uri, chain.pem or request.pem, and none in
    smime/ is "senders" or "revoked" or ends in "/senders" or "/revoked";
 3. no include cycle (include_cycles.py).
Comments and string literals are ignored.  Exit 1 when a rule is broken."""
import os, re, subprocess, sys
root = sys.argv[1] if len(sys.argv) > 1 else '.'
here = os.path.dirname(os.path.abspath(__file__))
def strip(t):
    t = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), t,
        flags=re.S)
    t = re.sub(r'//[^\n]*', '', t)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', t)
calls = ('fork vfork execl execle execlp execv execve execvp execvpe '
    'posix_spawn posix_spawnp system popen kill killpg pidfd_open '
    'pidfd_send_signal waitpid wait3 wait4 getpwnam getpwnam_r getpwuid '
    'getpwuid_r getgrnam getgrnam_r getgrgid getgrgid_r setuid setgid '
    'seteuid setegid setresuid setresgid setgroups initgroups syslog '
    'openlog').split()
call_re = re.compile(r'\b(%s)\s*\(' % '|'.join(calls))
tok_re = re.compile(r'\b(SYS_pidfd_open|SYS_pidfd_send_signal|SIGHUP)\b')
inc_re = re.compile(r'^\s*#\s*include\s*<(pwd\.h|grp\.h|spawn\.h|sys/wait\.h|'
    r'syslog\.h|libmilter/[^>]*|libconfig\.h)>', re.M)
bad = 0
sdir = os.path.join(root, 'smime')
for f in sorted(os.listdir(sdir)):
    if not f.endswith(('.c', '.h')):
        continue
    text = open(os.path.join(sdir, f), errors='replace').read()
    code = strip(text)
    for m in inc_re.finditer(text):
        bad = 1
        print('smime/%s: includes <%s> (front-end only)' % (f, m.group(1)))
    for rx in (call_re, tok_re):
        for m in rx.finditer(code):
            bad = 1
            line = code.count('\n', 0, m.start()) + 1
            print('smime/%s:%d: %s: process control or user lookup in the '
                'library' % (f, line, m.group(1)))
pem_re = re.compile(r'(cert|key|chain|request)\.pem|key\.uri')
word_re = re.compile(r'^(.*/)?(senders|revoked)$')
lit_re = re.compile(r'"((?:\\.|[^"\\\n])*)"')
for d in ('smime', 'enroll', 'milter'):
    p = os.path.join(root, d)
    if not os.path.isdir(p):
        continue
    for f in sorted(os.listdir(p)):
        if not f.endswith(('.c', '.h')) or (d, f) == ('smime',
            'storelayout.h'):
            continue
        text = open(os.path.join(p, f), errors='replace').read()
        code = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'),
            text, flags=re.S)
        for m in lit_re.finditer(code):
            lit = m.group(1)
            if pem_re.search(lit) or (d == 'smime' and word_re.match(lit)):
                bad = 1
                line = code.count('\n', 0, m.start()) + 1
                print('%s/%s:%d: "%s": a store file name outside '
                    'smime/storelayout.h' % (d, f, line, lit))
r = subprocess.run([sys.executable, os.path.join(here, 'include_cycles.py'),
    root])
if r.returncode != 0:
    bad = 1
if not bad:
    print('ok smime/ has no process control, store names are defined once')
sys.exit(bad)
