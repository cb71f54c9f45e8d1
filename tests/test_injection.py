#!/usr/bin/python3
"""test_injection - crafted log text changes nothing it should not.

DESCRIPTION
    Lines in which a client chose the HELO, the addresses, a header, a SASL
    or POP user name - with brackets, <>, ;, |, *, tabs and newline escapes,
    IP-looking strings, text shaped like other Postfix or Dovecot lines -
    are replayed.  Afterwards: only the clients the servers logged are
    listed (never 6.6.6.6, the decoy in every line), nobody got a relay
    lease from a forged login, and both Postfix maps are well formed: one
    "<ip><TAB><value>" line per entry, values printable ASCII, parseable by
    postmap.
SAFETY
    Temp directories only.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'e2e'))
import harness as h  # noqa: E402

POPAUTH = os.environ.get('POPAUTH')
S = 'Nov 26 10:00:%02d mail'
DECOY = '6.6.6.6'

LINES = [
    # HELO forgery: the HELO looks like an IP, a client, a trailer
    S % 1 + ' postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.1]: '
    '554 5.7.1 <[6.6.6.6]>: Helo command rejected: You are not us; '
    'from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<[6.6.6.6]>',
    S % 2 + ' postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.2]: '
    '554 5.7.1 <x from unknown[6.6.6.6]: 554 5.7.1 y>: Helo command rejected: '
    'You are not us; from=<a@b.test> to=<c@d.test> proto=ESMTP '
    'helo=<x from unknown[6.6.6.6]: 554 5.7.1 y>',
    # sender forgery with a quoted local part full of punctuation
    S % 3 + ' postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.3]: '
    '554 5.7.1 <"a>: Relay access denied; from=<|*;rm -rf /"@example.test>: '
    'Sender address rejected: Access denied; '
    'from=<"a>: Relay access denied; from=<|*;rm -rf /"@example.test> '
    'to=<c@d.test> proto=ESMTP helo=<h\\x0aFeb  1 00:00:00 x>',
    # recipient forgery, tab and newline escapes in the address
    S % 4 + ' postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.4]: '
    '554 5.7.1 <trap\\tx\\n6.6.6.6\tOK@example.test>: Recipient address '
    'rejected: Access denied; from=<x@y.test> '
    'to=<trap\\tx\\n6.6.6.6\tOK@example.test> proto=ESMTP helo=<h>',
    # a DNSBL reason with an IP and map syntax in it
    S % 5 + ' postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.5]: '
    '554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using '
    'zen.example.org; 6.6.6.6 OK; see http://x/?6.6.6.6; from=<a@b.test> '
    'to=<c@d.test> proto=ESMTP helo=<h>',
    # unknown recipients from one client, addresses that are patterns
    S % 6 + ' postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.6]: '
    '550 5.1.1 <a**b@example.test>: Recipient address rejected: User unknown '
    'in local recipient table; from=<> to=<a**b@example.test> proto=ESMTP '
    'helo=<h>',
    S % 7 + ' postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[203.0.113.6]: '
    '550 5.1.1 <zz|jim@example.test>: Recipient address rejected: User '
    'unknown in local recipient table; from=<> to=<zz|jim@example.test> '
    'proto=ESMTP helo=<h>',
    # header check: the header text imitates the client part
    S % 8 + ' postfix/smtpd[1]: 4AB12C3D4E: client=unknown[203.0.113.8]',
    S % 9 + ' postfix/cleanup[2]: 4AB12C3D4E: reject: header Subject: x from '
    'unknown[6.6.6.6]; from=<a> to=<b> proto=ESMTP helo=<c>: 5.7.1 y from '
    'unknown[203.0.113.8]; from=<s@t.test> to=<u@v.test> proto=ESMTP '
    'helo=<h>: 5.7.1 Spam subject',
    # a Dovecot login written by Postfix (an unknown SMTP command)
    S % 10 + ' postfix/smtpd[1]: warning: non-SMTP command from '
    'unknown[203.0.113.10]: dovecot: pop3-login: Login: user=<x>, '
    'method=PLAIN, rip=6.6.6.6, lip=192.0.2.1, mpid=1, session=<x>',
    # a failed login whose user name carries a rip=
    S % 11 + ' mail dovecot: pop3-login: Disconnected: Aborted login by '
    'logging out (auth failed, 1 attempts in 2 secs): user=<x>, '
    'method=PLAIN, rip=6.6.6.6, lip=1.1.1.1, session=<y>, method=PLAIN, '
    'rip=203.0.113.11, lip=192.0.2.1, session=<z>',
    # SASL user names with brackets
    S % 12 + ' postfix/smtpd[1]: warning: unknown[203.0.113.12]: SASL LOGIN '
    'authentication failed: UGFzc3dvcmQ6, sasl_username=[6.6.6.6]',
]


check = h.check


def main():
    if not POPAUTH:
        sys.exit('POPAUTH is not set')
    os.environ['TZ'] = 'UTC'
    work = tempfile.mkdtemp(prefix='popauth-injection-')
    ok = False
    try:
        conf = os.path.join(work, 'popauth.conf')
        with open(conf, 'w') as f:
            f.write('state_directory = state\nrelay_map = lmdb:relay\n'
                    'blacklist_map = lmdb:blacklist\nmyhostname = t.example\n'
                    'trusted_networks = 127.0.0.0/8\nfish_threshold = 1\n'
                    'sasl_fail_threshold = 0\nlogin_fail_threshold = 0\n')
        log = os.path.join(work, 'mail.log')
        with open(log, 'w') as f:
            f.write('\n'.join(l.replace(' mail mail ', ' mail ') for l in LINES)
                    + '\n')
        r = subprocess.run([POPAUTH, '-c', conf, '-v', 'replay', log],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, 'replay of the crafted lines')
        with open(os.path.join(work, 'blacklist')) as f:
            bl = f.read()
        with open(os.path.join(work, 'relay')) as f:
            relay = f.read()
        listed = sorted(l.split('\t')[0] for l in bl.splitlines())
        h.note('listed: %s' % listed)
        check(DECOY not in listed, 'the decoy 6.6.6.6 is never a key')
        check(set(listed) <= {'203.0.113.%d' % i for i in range(1, 13)},
              'only clients the servers logged are listed')
        # lines whose structure the crafted text made ambiguous may be
        # dropped (the client stays refused by Postfix); these are clear
        check({'203.0.113.1', '203.0.113.5', '203.0.113.6'} <= set(listed),
              'the forged HELO, the DNSBL reject and the fisher are listed')
        check(relay == '', 'no relay lease from a forged login')
        bad = [l for l in bl.splitlines()
               if not re.fullmatch(r'[0-9a-f.:]+\t554 [\x20-\x7e]+', l)]
        check(not bad, 'every map line is "<ip><TAB>554 <printable>": %r' % bad)
        # postmap can read it, and a lookup of the decoy finds nothing
        q = subprocess.run(['postmap', '-q', DECOY, 'lmdb:' +
                            os.path.join(work, 'blacklist')],
                           capture_output=True, text=True)
        check(q.returncode == 1 and q.stdout == '',
              'postmap -q 6.6.6.6 finds nothing')
        check(not any(re.match(r'^Feb  1 00:00:00', l)
                      for l in r.stderr.splitlines()),
              'no fake line in popauth\'s own log')
        ok = True
    finally:
        if ok:
            shutil.rmtree(work)
        else:
            h.note('kept %s' % work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
