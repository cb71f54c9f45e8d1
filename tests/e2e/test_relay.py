#!/usr/bin/python3
"""test_relay - POP-before-SMTP end to end: real Postfix, real Dovecot, popauth.

DESCRIPTION
    A private Postfix (logging to a file, relay restricted by popauth's lmdb
    relay map) and Dovecot (logging to its own file) on loopback; popauth
    follows both logs.  Checks, with real clients:

      1. 127.0.0.5 is refused relay (554 5.7.1 ... Relay access denied);
      2. it logs in over POP3 and may relay within 2 s; 127.0.0.6 does the
         same over IMAP, and ::1 over IMAP with IPv6;
      3. popauth logs the grants, `popauth list relays` shows them, and the
         map holds exactly the leased IPs;
      4. a second login refreshes the lease ("... x 2"); with a short lease in
         the test config, relay is refused again after the lease, the map is
         empty and popauth logs the expiry - on its timer, with no new line;
      5. a failed login grants nothing;
      6. SIGTERM: clean exit, PID file removed;
      7. the FIFO path: Dovecot's real lines reach popauth through a FIFO
         whose writer (standing in for syslog) closes and reopens between
         batches; every login is seen and relay follows.

SAFETY
    Needs root (exit 77 otherwise).  See harness.py: temp dirs only, loopback
    only, every process stopped by pid.
"""

import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

LEASE = 12  # seconds: short, so that the test sees expiry


check = h.check


def relay_code(mail, ip):
    code, text = mail.smtp_try_relay(ip)
    return code


def popauth_cli(pa, *args):
    return subprocess.run([pa.binary, '-c', pa.conf_path] + list(args),
                          capture_output=True, text=True, check=True).stdout


def map_keys(mail):
    with open(mail.relay_map) as f:
        return sorted(line.split()[0] for line in f if line.strip())


def main():
    h.require_root()
    with h.Mail() as mail:
        with mail.popauth(relay_lease='%ds' % LEASE) as pa:
            log = pa.stderr_cursor()
            log.wait(r'popauth \S+ started')

            # 1. refused before any login
            for ip in ('127.0.0.5', '127.0.0.6', '::1'):
                check(relay_code(mail, ip) == 554, '%s is refused relay' % ip)

            # 2. logins, then relay within 2 s.  A lease runs from the
            # login's log stamp (whole seconds), so it can end up to 1 s
            # before t_login + LEASE, never earlier.
            t_login = time.time()
            t0 = time.monotonic()
            check(mail.pop3_login('127.0.0.5', 'alice'), 'POP3 login of alice')
            check(mail.imap_login('127.0.0.6', 'bob'), 'IMAP login of bob')
            check(mail.imap_login('::1', 'bob'), 'IMAP login of bob over IPv6')
            for ip in ('127.0.0.5', '127.0.0.6', '::1'):
                h.wait_until(lambda: relay_code(mail, ip) == 250,
                             timeout=2.0 - (time.monotonic() - t0) + 0.5,
                             interval=0.05, what='relay for %s' % ip)
            dt = time.monotonic() - t0
            check(dt < 2.0, 'all three may relay %.2f s after the logins' % dt)

            # 3. logged, listed, in the map
            log.wait(r'alice has authenticated a new relay session from 127\.0\.0\.5')
            text = pa.stderr_text()
            check('bob has authenticated a new relay session from 127.0.0.6' in text,
                  'IMAP grant logged')
            check('bob has authenticated a new relay session from ::1' in text,
                  'IPv6 grant logged')
            check(map_keys(mail) == ['127.0.0.5', '127.0.0.6', '::1'],
                  'the map holds exactly the leased IPs')
            listed = h.wait_until(
                lambda: (lambda out: out if '127.0.0.5' in out else None)(
                    popauth_cli(pa, 'list', 'relays')),
                timeout=5, what='list relays')
            check(re.search(r'^127\.0\.0\.5\s.*\s1 alice$', listed, re.M),
                  'list relays shows alice on 127.0.0.5')
            check(re.search(r'^::1\s.*\s1 bob$', listed, re.M),
                  'list relays shows bob on ::1')

            # 4. refresh, then expiry on the timer
            time.sleep(2)
            t_refresh = time.time()
            check(mail.pop3_login('127.0.0.5', 'alice'), 'second POP3 login of alice')
            log.wait(r'alice has refreshed authentication for a \d+s old relay '
                     r'session from 127\.0\.0\.5 x 2')
            # 5. a failed login from another IP grants nothing
            check(mail.pop3_login_fail('127.0.0.7'), 'failed login from 127.0.0.7')
            log.wait(r'has expired', timeout=LEASE + 5)
            # .6 and ::1 expire first; .5 was refreshed 2 s later
            h.wait_until(lambda: relay_code(mail, '127.0.0.6') == 554,
                         timeout=3, what='127.0.0.6 refused after its lease')
            check(time.time() - t_login >= LEASE - 1,
                  '127.0.0.6 refused again after its %d s lease' % LEASE)
            check(relay_code(mail, '::1') == 554, '::1 refused after its lease')
            h.wait_until(lambda: relay_code(mail, '127.0.0.5') == 554,
                         timeout=LEASE + 5, what='127.0.0.5 refused after its lease')
            check(time.time() - t_refresh >= LEASE - 1,
                  'the refreshed lease of 127.0.0.5 lasted from its last login')
            h.wait_until(lambda: map_keys(mail) == [], timeout=3,
                         what='an empty map')
            text = pa.stderr_text()
            for ip in ('127.0.0.5', '127.0.0.6', '::1'):
                check('relay session from %s has expired' % ip in text,
                      'expiry of %s logged' % ip)
            check('127.0.0.7' not in text, 'the failed login granted nothing')
        # 6. the context manager checked exit status 0
        check(not os.path.exists(pa.pid_file), 'PID file removed at exit')
        check('popauth is terminating' in pa.stderr_text(), 'exit logged')

        # 7. the FIFO path
        fifo = mail.root + '/popauth/mail.fifo'
        with mail.popauth(name='fifo', log_sources='fifo:' + fifo,
                          state_directory=mail.root + '/popauth/state-fifo',
                          pid_file=mail.root + '/popauth/fifo.pid') as pa2:
            cur = mail.dovecot_cursor()
            writers = 0

            def pump():
                # what syslog would do: a writer per batch, closed after
                nonlocal writers
                lines = cur.read_lines()
                if lines:
                    with open(fifo, 'w') as w:
                        w.write('\n'.join(lines) + '\n')
                    writers += 1
                return lines
            for ip, login in (('127.0.0.8', mail.pop3_login),
                              ('127.0.0.9', mail.imap_login),
                              ('127.0.0.10', mail.pop3_login)):
                check(relay_code(mail, ip) == 554, '%s refused before' % ip)
                t0 = time.monotonic()
                check(login(ip, 'alice'), 'login from %s' % ip)
                h.wait_until(lambda: any('rip=%s,' % ip in l for l in pump()),
                             timeout=5, what='the login line of %s' % ip)
                h.wait_until(lambda: relay_code(mail, ip) == 250,
                             timeout=2.5, what='relay for %s' % ip)
                check(True, '%s may relay %.2f s after its login, through the '
                      'FIFO' % (ip, time.monotonic() - t0))
            check(writers >= 3, 'the FIFO had %d writers, one after the other'
                  % writers)
            check(pa2.stderr_text().count('has authenticated a new relay '
                                          'session') == 3,
                  'all three logins seen through the FIFO')
    return 0


if __name__ == '__main__':
    sys.exit(main())
