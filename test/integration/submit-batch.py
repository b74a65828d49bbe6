#!/usr/bin/env python3
"""submit-batch.py - submit a numbered batch of messages over SMTP AUTH and
retry the ones that were refused, as a real MUA or MTA would.

Usage: submit-batch.py PORT USER PASSWORD COUNT TEMPLATE RESULTS DEADLINE

TEMPLATE is a message whose marker "SEQ" is replaced by the sequence number
(0001...COUNT, zero-padded to 4 digits).  Each attempt appends one line
"SEQ ATTEMPT OUTCOME CODE" to RESULTS, flushed at once so that a test can
watch progress:
  ok    250 after DATA: the MTA took responsibility for the message
  temp  a 4xx (CODE) at EHLO, MAIL, RCPT or DATA: ours to retry
  conn  the connection failed or closed; when that happened after the
        message was sent (CODE "sent") the MTA may have kept it, so a
        retry may deliver it twice; otherwise it was never accepted
  perm  a 5xx: never retried; the caller treats it as a failure
Worker threads share one queue and use one connection for up to BATCH
messages.  After the first pass, refused messages are retried every second
until all were accepted or DEADLINE (seconds since start) has passed.
Exit: 0 all accepted, 1 some not accepted, 2 usage.
"""
import smtplib
import socket
import sys
import threading
import time

WORKERS = 4
BATCH = 25


class Batch:
    """Shared state: the template, the results file and the pending list."""

    def __init__(self, argv):
        (self.port, self.user, self.password, count, template, results,
         deadline) = argv
        self.port = int(self.port)
        self.count = int(count)
        self.deadline = time.monotonic() + float(deadline)
        with open(template, "rb") as fp:
            raw = fp.read().replace(b"\r\n", b"\n")
        # SMTP wants CRLF; the template is written by a shell here-doc.
        self.template = raw.replace(b"\n", b"\r\n")
        self.results = open(results, "a", buffering=1)
        self.lock = threading.Lock()
        self.attempts = {}
        self.todo = []
        self.failed = []

    def record(self, seq, outcome, code):
        """Append one attempt's outcome; failed ones go to the retry list."""
        with self.lock:
            n = self.attempts.get(seq, 0) + 1
            self.attempts[seq] = n
            self.results.write("%04d %d %s %s\n" % (seq, n, outcome, code))
            if outcome in ("temp", "conn"):
                self.failed.append(seq)

    def take(self):
        """Next sequence number to send, or None when the pass is done."""
        with self.lock:
            return self.todo.pop(0) if self.todo else None

    def message(self, seq):
        return self.template.replace(b"SEQ", b"%04d" % seq)


def connect(b):
    """A fresh authenticated session; raises on any failure."""
    s = smtplib.SMTP("127.0.0.1", b.port, local_hostname="client.example.net",
                     timeout=60)
    try:
        code, text = s.ehlo()
        if code != 250:
            # Postfix refuses EHLO with 451 when the milter is down.
            raise smtplib.SMTPResponseException(code, text)
        s.login(b.user, b.password)
    except Exception:
        s.close()
        raise
    return s


def send_one(b, s, seq):
    """One transaction on session s; returns False when s is unusable."""
    try:
        s.sendmail("taro@example.jp", ["voter@example.org"], b.message(seq),
                   mail_options=["BODY=8BITMIME"])
    except smtplib.SMTPRecipientsRefused as e:
        code = list(e.recipients.values())[0][0]
        b.record(seq, "temp" if 400 <= code < 500 else "perm", code)
        return False
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as e:
        b.record(seq, "temp" if 400 <= e.smtp_code < 500 else "perm",
                 e.smtp_code)
        return False
    except (smtplib.SMTPException, OSError):
        # Dropped mid-transaction: the DATA may or may not have been taken.
        b.record(seq, "conn", "sent")
        return False
    b.record(seq, "ok", 250)
    return True


def worker(b):
    """Send until the shared list is empty, reconnecting after errors."""
    s = None
    used = 0
    while True:
        seq = b.take()
        if seq is None:
            break
        if s is None:
            try:
                s = connect(b)
                used = 0
            except smtplib.SMTPResponseException as e:
                b.record(seq, "temp" if 400 <= e.smtp_code < 500 else
                         "perm", e.smtp_code)
                time.sleep(0.2)
                continue
            except (smtplib.SMTPException, OSError):
                b.record(seq, "conn", "connect")
                time.sleep(0.2)
                continue
        ok = send_one(b, s, seq)
        used += 1
        if not ok or used >= BATCH:
            # After a refusal Postfix may keep refusing on this session
            # (a failed milter stays failed); start afresh.
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                pass
            s.close()
            s = None
    if s is not None:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass


def run_pass(b, seqs):
    """Send seqs with WORKERS threads; wait for all of them."""
    b.todo = list(seqs)
    threads = [threading.Thread(target=worker, args=(b,))
               for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main(argv):
    if len(argv) != 8:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    b = Batch(argv[1:])
    run_pass(b, range(1, b.count + 1))
    while b.failed and time.monotonic() < b.deadline:
        time.sleep(1)
        retry = sorted(set(b.failed))
        b.failed = []
        run_pass(b, retry)
    b.results.close()
    if b.failed:
        print("submit-batch: %d messages never accepted" % len(set(b.failed)),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    socket.setdefaulttimeout(60)
    sys.exit(main(sys.argv))
