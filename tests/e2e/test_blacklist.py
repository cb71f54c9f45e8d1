#!/usr/bin/python3
"""test_blacklist - the blacklist cache end to end: real Postfix, popauth.

DESCRIPTION
    A private Postfix on loopback whose HELO check rejects clients that
    claim to be this host (check_helo_access, 554 5.7.1), whose client
    restrictions consult popauth's blacklist map, and whose local
    recipients are alice, bob and postmaster; a private Dovecot; popauth
    following both logs.  Checks, with real clients:

      1. 127.0.0.9 says HELO mail.test -> Postfix rejects the HELO ->
         popauth blacklists it (authority: this host);
      2. its next connection is refused by the blacklist map with
         popauth's reply text, and popauth counts the repeat;
      3. 127.0.0.10 tries 7 unknown local recipients -> blacklisted as an
         address fisher, banned (nullroute_fish_ban);
      4. 127.0.0.5 logs in over POP3 first, then makes the same mistakes:
         not blacklisted (it holds a relay lease), and the log says why;
      5. `popauth show` and `popauth list blacklist` agree, and the map
         holds exactly the listed IPs.

SAFETY
    Needs root (exit 77 otherwise); temp dirs and loopback only, every
    process stopped by pid (harness.py).
"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

HELO_CHECK = 'inline:{ { mail.test = REJECT You are not mail.test (HELO forgery) } }'


check = h.check


def cli(pa, *args):
    return subprocess.run([pa.binary, '-c', pa.conf_path] + list(args),
                          capture_output=True, text=True, check=True).stdout


def map_keys(path):
    with open(path) as f:
        return sorted(l.split()[0] for l in f if l.strip())


def forged_helo(mail, ip):
    """a session that says HELO mail.test; returns the RCPT reply"""
    with mail.smtp_session(ip, helo='mail.test') as s:
        return s.try_relay(rcpt='alice@mail.test', sender='someone@remote.test')


def fish(mail, ip, n=7):
    """n unknown local recipients in one session; returns the replies"""
    replies = []
    with mail.smtp_session(ip, helo='h%s.example' % ip.split('.')[-1]) as s:
        s.command('MAIL FROM:<someone@remote.test>')
        for i in range(1, n + 1):
            replies.append(s.command('RCPT TO:<nosuchuser%d@mail.test>' % i))
    return replies


def main():
    h.require_root()
    extra = {
        'smtpd_helo_required': 'yes',
        'smtpd_helo_restrictions': 'check_helo_access ' + HELO_CHECK,
    }
    with h.Mail(main_cf=extra) as mail:
        with mail.popauth(map_rebuild_delay='0') as pa:
            log = pa.stderr_cursor()
            log.wait(r'popauth \S+ started')

            # 1. a forged HELO
            code, text = forged_helo(mail, '127.0.0.9')
            check(code == 554 and 'Helo command rejected' in text,
                  'Postfix rejects HELO mail.test from 127.0.0.9')
            log.wait(r'127\.0\.0\.9 (\[\S+\] )?has been blacklisted by mail\.test for '
                     r'helo-forgery')
            h.wait_until(lambda: h.map_query(mail.blacklist_map_type,
                                             mail.blacklist_map, '127.0.0.9'),
                         timeout=5, what='127.0.0.9 in the blacklist map')

            # 2. the next connection meets the map; a repeat is counted
            with mail.smtp_session('127.0.0.9', helo='h9.example') as s:
                code, text = s.try_relay(rcpt='alice@mail.test',
                                         sender='someone@remote.test')
            check(code == 554 and 'Client host rejected: Your IP address has '
                  'been blacklisted by mail.test' in text,
                  'the next session of 127.0.0.9 is refused with popauth\'s '
                  'text: %s' % text)
            log.wait(r'blacklisted 127\.0\.0\.9 (\[\S+\] )?tried again: x 2 \(2 total\)')

            # 3. address fishing
            replies = fish(mail, '127.0.0.10')
            check(all(c == 550 for c, _ in replies),
                  '7 unknown recipients refused (550 5.1.1)')
            log.wait(r'127\.0\.0\.10 (\[\S+\] )?has been blacklisted by mail\.test for '
                     r'fishing .*banned for 1w')

            # 4. a user with a lease makes the same mistakes
            check(mail.pop3_login('127.0.0.5', 'alice'), 'POP3 login from .5')
            log.wait(r'alice has authenticated a new relay session from '
                     r'127\.0\.0\.5')
            code, _ = forged_helo(mail, '127.0.0.5')
            check(code == 554, 'Postfix still rejects the forged HELO of .5')
            fish(mail, '127.0.0.5')
            log.wait(r'ignored helo-forgery by 127\.0\.0\.5.*: relay lease')
            log.wait(r'local address <nosuchuser7@mail\.test> not found .* '
                     r'using 127\.0\.0\.5')

            # 5. what popauth shows
            def listed():
                out = cli(pa, 'list', 'blacklist')
                return out if '127.0.0.10' in out else None
            out = h.wait_until(listed, timeout=5, what='list blacklist')
            check(re.search(r'^127\.0\.0\.9 .* 2 helo-forgery\s+mail\.test$',
                            out, re.M), 'list blacklist: .9, 2 hits')
            check(re.search(r'^127\.0\.0\.10 +\d{4}-', out, re.M),
                  'list blacklist: .10 is banned')
            check('127.0.0.5' not in out, '.5 is not listed')
            show = cli(pa, 'show', '127.0.0.10')
            check('blacklisted by mail.test for fishing' in show and
                  'banned until' in show and 'nosuchuser7@mail.test' in show,
                  'show 127.0.0.10: the fishing record and its pairs')
            show = cli(pa, 'show', '127.0.0.5')
            check('not blacklisted' in show and 'user alice' in show,
                  'show 127.0.0.5: a lease, no record')
            check(map_keys(mail.blacklist_map) == ['127.0.0.10', '127.0.0.9'],
                  'the blacklist map holds exactly .9 and .10')
    return 0


if __name__ == '__main__':
    sys.exit(main())
