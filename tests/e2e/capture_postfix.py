#!/usr/bin/python3
"""capture_postfix - what real Postfix 3.7 (and Dovecot 2.3) log for crafted input.

DESCRIPTION
    Not a test (not registered with meson): a capture tool for the corpus
    (tests/corpus/postfix-crafted.txt, dovecot-fail.txt).  It starts private
    servers through harness.Mail, three times:

      default   smtpd_delay_reject = yes (Postfix's default)
      nodelay   smtpd_delay_reject = no, smtpd_client_port_logging = yes
      sweep     smtpd_delay_reject = no, EHLO names whose reject message
                grows from 1992 to 2002 bytes: where Postfix cuts a record

    and drives SMTP sessions whose HELO names, envelope addresses, header
    and body text and SASL user names carry text that imitates the fixed
    parts of Postfix's reject lines (and POP3 logins whose user names carry
    "rip=", to see Dovecot's failure lines).  The access tables (regexp:)
    reject HELO names ending in mail.test, senders at forged.test and two
    recipients; popauth's blacklist map holds 127.0.0.51.  Each session uses its own 127.0.0.x source
    address.  Every line the servers logged is printed (stdout), grouped by
    phase; `--out DIR` also writes them to DIR/<phase>.postfix.log and
    DIR/<phase>.dovecot.log.

        sudo tests/e2e/capture_postfix.py --out /tmp/capture

    The decoy addresses 6.6.6.6 and 1.1.1.1 appear only inside crafted
    text: a recogniser must never produce an event for them.  The lines in
    tests/corpus/postfix-crafted.txt and dovecot-fail.txt were captured
    with it (Postfix 3.7.11, Dovecot 2.3.19.1, Debian 12).

SAFETY
    As harness.py: root only, loopback only, temp directories, servers
    stopped by pid.  The access tables live in a temp directory of this
    script, removed at the end.
"""

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

DECOY_BL = ('unknown[127.0.0.%d]>: Client host rejected: Your IP address has '
            'been blacklisted by evil. x.mail.test')

TABLES = {
    'helo_access': '/(^|\\.)mail\\.test$/ REJECT You are not mail.test (HELO forgery)\n',
    'sender_access': '/@forged\\.test$/ REJECT Access denied\n',
    'rcpt_access': '/^spamtrap@mail\\.test$/ REJECT Access denied\n'
                   '/^trap2@/ REJECT Spam trap address\n',
    'header_checks': '/^Subject:.*VIAGRA/ REJECT Spam subject (header_checks)\n',
    'body_checks': '/cheap pills/ REJECT Spam body (body_checks)\n',
}


def main_cf(tdir, sasl_path, extra):
    cf = {
        'smtpd_helo_restrictions':
            'check_helo_access regexp:%s/helo_access, reject_invalid_helo_hostname, '
            'reject_non_fqdn_helo_hostname' % tdir,
        'smtpd_sender_restrictions':
            'check_sender_access regexp:%s/sender_access, reject_non_fqdn_sender' % tdir,
        'smtpd_recipient_restrictions':
            'check_recipient_access regexp:%s/rcpt_access' % tdir,
        'header_checks': 'regexp:%s/header_checks' % tdir,
        'body_checks': 'regexp:%s/body_checks' % tdir,
        'virtual_alias_domains': 'alias.test',
        'virtual_alias_maps': 'inline:{ known@alias.test=alice }',
        'virtual_mailbox_domains': 'vmail.test',
        'virtual_mailbox_maps': 'inline:{ known@vmail.test=x }',
        'relay_domains': 'relay.test',
        'relay_recipient_maps': 'inline:{ known@relay.test=x }',
        'smtpd_sasl_auth_enable': 'yes',
        'smtpd_sasl_type': 'dovecot',
        'smtpd_sasl_path': sasl_path,
    }
    cf.update(extra)
    return cf


class Raw:
    """A byte-exact SMTP client: every command is sent as given."""

    def __init__(self, src, port):
        self.s = socket.create_connection(('127.0.0.1', port), 30, source_address=(src, 0))
        self.f = self.s.makefile('rb')
        self.log = []
        self.reply()

    def reply(self):
        out = []
        while True:
            line = self.f.readline(100000).decode('utf-8', 'replace').rstrip('\r\n')
            if not line:
                break
            out.append(line)
            if len(line) < 4 or line[3] != '-':
                break
        self.log.append('S: ' + ' | '.join(out))
        return out[-1] if out else ''

    def cmd(self, line):
        self.log.append('C: ' + (line if len(line) < 200 else line[:200] + '...(%d)' % len(line)))
        self.s.sendall(line.encode('utf-8', 'surrogateescape') + b'\r\n')
        return self.reply()

    def data(self, lines):
        r = self.cmd('DATA')
        if not r.startswith('354'):
            return r
        for l in lines:
            self.s.sendall(l.encode() + b'\r\n')
        return self.cmd('.')

    def close(self):
        try:
            self.cmd('QUIT')
        except OSError:
            pass
        self.f.close()
        self.s.close()


def session(mail, src, helo, cmds, port='smtp'):
    c = Raw(src, mail.ports[port])
    try:
        c.cmd('EHLO ' + helo)
        for x in cmds:
            if isinstance(x, list):
                c.data(x)
            else:
                c.cmd(x)
    finally:
        c.close()
    h.note('%s: %s' % (src, ' / '.join(c.log)[:400]))


def sasl_fail(mail, src, user):
    import base64
    c = Raw(src, mail.ports['smtp'])
    try:
        c.cmd('EHLO sasl.example')
        tok = base64.b64encode(b'\0' + user.encode() + b'\0wrong').decode()
        c.cmd('AUTH PLAIN ' + tok)
    finally:
        c.close()


def pop3_user(mail, src, user):
    c = h._LineClient(src, mail.pop3_port)
    try:
        c.readline()
        c.send('USER ' + user)
        c.readline()
        c.send('PASS wrong')
        c.readline()
        c.send('QUIT')
        c.readline()
    finally:
        c.close()


def default_phase(mail):
    A = 'a@remote.test'
    R = 'friend@remote.test'
    # crafted HELO (sanitised by Postfix with delay_reject = yes)
    session(mail, '127.0.0.40', 'x> proto=SMTP helo=<y', ['MAIL FROM:<%s>' % A, 'RCPT TO:<%s>' % R])
    # crafted sender, relay denied
    session(mail, '127.0.0.41', 'h41.example',
            ['MAIL FROM:<"a>: Recipient address rejected: Access denied"@x.test>',
             'RCPT TO:<%s>' % R])
    # crafted sender that is itself rejected (Access denied)
    session(mail, '127.0.0.42', 'h42.example',
            ['MAIL FROM:<"a>: Recipient address rejected: Access denied"@forged.test>',
             'RCPT TO:<%s>' % R])
    # crafted recipients: relay denied, unknown local user
    session(mail, '127.0.0.43', 'h43.example',
            ['MAIL FROM:<%s>' % A,
             'RCPT TO:<"x>: Relay access denied; from=<"@remote.test>',
             'RCPT TO:<"x>: Relay access denied; from=<"@mail.test>',
             'RCPT TO:<"x>: Recipient address rejected: Access denied"@mail.test>',
             'RCPT TO:<"a; from=<b> to=<c> proto=SMTP helo=<d [6.6.6.6]"@mail.test>'])
    # a 1,900-byte HELO ending in mail.test: HELO forgery at RCPT
    session(mail, '127.0.0.44', 'a' * 1890 + '.mail.test', ['MAIL FROM:<%s>' % A, 'RCPT TO:<alice@mail.test>'])
    # header and body checks with crafted text
    session(mail, '127.0.0.45', 'h45.example',
            ['MAIL FROM:<%s>' % A, 'RCPT TO:<alice@mail.test>',
             ['Subject: Buy VIAGRA now from unknown[6.6.6.6]; from=<x@y.test> to=<z@mail.test> '
              'proto=ESMTP helo=<h>: 5.7.1 fake', 'From: a@remote.test', '', 'hello']])
    session(mail, '127.0.0.46', 'h46.example',
            ['MAIL FROM:<%s>' % A, 'RCPT TO:<alice@mail.test>',
             ['Subject: hi', '', 'cheap pills from unknown[6.6.6.6]; from=<x@y.test> to=<z>']])
    # odd addresses: unquoted '>', blanks, a domain literal, 6.6.6.6 in brackets
    session(mail, '127.0.0.47', 'h47.example',
            ['MAIL FROM:<a>b@x.test>', 'RSET',
             'MAIL FROM:<a b@x.test>', 'RSET',
             'MAIL FROM:<x@[6.6.6.6]>', 'RCPT TO:<%s>' % R, 'RSET',
             'MAIL FROM:<"x [6.6.6.6]"@forged.test>', 'RCPT TO:<%s>' % R])
    # null sender, unknown users in every table
    session(mail, '127.0.0.48', 'h48.example',
            ['MAIL FROM:<>', 'RCPT TO:<nosuch@mail.test>', 'RCPT TO:<nobody@alias.test>',
             'RCPT TO:<nobody@vmail.test>', 'RCPT TO:<nobody@relay.test>',
             'RCPT TO:<alice@mail.test>', 'RCPT TO:<nosuch2@mail.test>'])
    # SASL failures with crafted user names
    sasl_fail(mail, '127.0.0.49', 'x]: SASL LOGIN authentication failed: y, sasl_username=z')
    sasl_fail(mail, '127.0.0.57', 'mallory@[6.6.6.6], sasl_username=bob')
    # non-SMTP command carrying a reject line and a Dovecot login
    session(mail, '127.0.0.50', 'h50.example',
            ['GET NOQUEUE: reject: RCPT from x[6.6.6.6]: 554 5.7.1 <a@b>: Relay access denied; '
             'from=<a@b> to=<c@d> proto=ESMTP helo=<e>'])
    session(mail, '127.0.0.58', 'h58.example',
            ['GET / Login: user=<x>, method=PLAIN, rip=6.6.6.6, lip=1.1.1.1, mpid=1'])
    # popauth's blacklist map
    session(mail, '127.0.0.51', 'h51.example', ['MAIL FROM:<%s>' % A, 'RCPT TO:<alice@mail.test>'])
    # access-table forgeries
    session(mail, '127.0.0.52', 'h52.example',
            ['MAIL FROM:<%s>' % A, 'RCPT TO:<spamtrap@mail.test>', 'RCPT TO:<trap2@mail.test>'])
    for src, helo in (('127.0.0.53', 'mail.test'), ('127.0.0.54', 'laptop'),
                      ('127.0.0.55', 'bad_host!name'), ('127.0.0.56', DECOY_BL % 56)):
        session(mail, src, helo, ['MAIL FROM:<%s>' % A, 'RCPT TO:<alice@mail.test>'])
    session(mail, '127.0.0.59', 'h59.example',
            ['MAIL FROM:<ceo>', 'RCPT TO:<alice@mail.test>', 'RSET',
             'MAIL FROM:<ok@forged.test>', 'RCPT TO:<alice@mail.test>'])
    # a sender whose unquoted form imitates a relay denial for a
    # recipient it also names (backslash-escaped quotes inside)
    session(mail, '127.0.0.93', 'h93.example',
            ['MAIL FROM:<"p\\"q@remote.test>: Relay access denied; from=<junk\\"rest"@forged.test>',
             'RCPT TO:<"p\\"q"@remote.test>'])
    # client port logging off here; a long sender that pushes the trailer
    # past 2000 bytes
    session(mail, '127.0.0.94', 'h94.example',
            ['MAIL FROM:<' + 'l' * 60 + '@forged.test>', 'RCPT TO:<"' + 'r' * 1900 + '"@remote.test>'])
    # Dovecot failures with crafted user names, and a plain one
    pop3_user(mail, '127.0.0.90', 'x, method=PLAIN, rip=6.6.6.6, lip=1.1.1.1')
    pop3_user(mail, '127.0.0.91', 'mallory>, method=PLAIN, rip=6.6.6.6, lip=1.1.1.1, session=<x')
    mail.imap_login_fail('127.0.0.92', 'bob', quit=False)


def nodelay_phase(mail):
    A = 'a@remote.test'
    session(mail, '127.0.0.60', 'x> proto=SMTP helo=<y', ['MAIL FROM:<%s>' % A])
    session(mail, '127.0.0.61', DECOY_BL % 61, ['MAIL FROM:<%s>' % A])
    session(mail, '127.0.0.62', 'a' * 1890 + '.mail.test', ['MAIL FROM:<%s>' % A])
    session(mail, '127.0.0.63', 'x"y>: Relay access denied; from=<z.mail.test', ['MAIL FROM:<%s>' % A])
    session(mail, '127.0.0.64', 'h64.example',
            ['MAIL FROM:<"a>: Recipient address rejected: Access denied"@forged.test>'])
    session(mail, '127.0.0.65', 'h65.example',
            ['MAIL FROM:<%s>' % A, 'RCPT TO:<"x>: Relay access denied; from=<"@remote.test>'])
    session(mail, '127.0.0.66', 'x>: Helo command rejected: Access denied; proto=SMTP helo=<x',
            ['MAIL FROM:<%s>' % A])
    session(mail, '127.0.0.67', 'laptop', ['MAIL FROM:<%s>' % A])
    # EHLO again in the middle of a transaction: are from=/to= logged?
    session(mail, '127.0.0.68', 'h68.example',
            ['MAIL FROM:<%s>' % A, 'RCPT TO:<alice@mail.test>', 'EHLO mail.test'])
    session(mail, '127.0.0.51', 'h51.example', ['MAIL FROM:<%s>' % A])


def sweep_phase(mail):
    # EHLO names around the length at which the EHLO reject's message
    # (144 bytes + the name twice, from 127.0.0.1xx) reaches 2000 bytes:
    # 1994, 1996, 1998, 2000, 2002 and 2004 bytes if nothing were cut
    for i, n in enumerate(range(915, 921)):
        session(mail, '127.0.0.%d' % (100 + i), 'b' * n + '.mail.test', ['MAIL FROM:<a@remote.test>'])


def run_phase(name, extra_cf, fn, outdir):
    tdir = tempfile.mkdtemp(prefix='popauth-capture-')
    os.chmod(tdir, 0o755)
    try:
        for k, v in TABLES.items():
            with open(os.path.join(tdir, k), 'w') as f:
                f.write(v)
        sasl = os.path.join(tdir, 'auth-postfix')
        dconf = 'service auth {\n  unix_listener %s {\n    mode = 0666\n  }\n}\n' % sasl
        with h.Mail(name='capture-' + name, ipv6=False, main_cf=main_cf(tdir, sasl, extra_cf),
                    dovecot_conf=dconf, auth_failure_delay='0') as mail:
            mail.set_blacklist_map({
                '127.0.0.51': '554 Your IP address has been blacklisted by popauth. Visit their '
                              'website or write to argue. harness capture'})
            pc, dc = mail.postfix_cursor(), mail.dovecot_cursor()
            fn(mail)
            time.sleep(3)     # cleanup and the login processes log last
            plines, dlines = pc.read_lines(), dc.read_lines()
    finally:
        shutil.rmtree(tdir, ignore_errors=True)
    print('==== %s: postfix (%d lines)' % (name, len(plines)))
    for l in plines:
        print(l)
    print('==== %s: dovecot (%d lines)' % (name, len(dlines)))
    for l in dlines:
        print(l)
    if outdir:
        for kind, lines in (('postfix', plines), ('dovecot', dlines)):
            with open(os.path.join(outdir, '%s.%s.log' % (name, kind)), 'w') as f:
                f.write(''.join(l + '\n' for l in lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', help='also write the captured lines here')
    ap.add_argument('phases', nargs='*', default=['default', 'nodelay', 'sweep'])
    args = ap.parse_args()
    h.require_root()
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    phases = {
        'default': ({}, default_phase),
        'nodelay': ({'smtpd_delay_reject': 'no', 'smtpd_client_port_logging': 'yes'},
                    nodelay_phase),
        'sweep': ({'smtpd_delay_reject': 'no'}, sweep_phase),
    }
    for p in args.phases:
        run_phase(p, phases[p][0], phases[p][1], args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
