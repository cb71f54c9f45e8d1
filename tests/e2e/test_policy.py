#!/usr/bin/env python3
"""test_policy - popauth as Postfix's policy service, no maps at all.

A private Postfix whose relay restrictions ask popauth through
check_policy_service (inet:127.0.0.1:PORT) instead of its access maps, with
smtpd_policy_service_default_action = DUNNO; Dovecot for the logins;
popauth `run` with policy_listen on that port, reading both logs.

    1. 127.0.0.5 is refused relay; it logs in over POP3; as soon as popauth
       has read the login, the very next SMTP transaction may relay (no map
       rebuild to wait for)
    2. 127.0.0.9 forges its HELO and is listed; its next session is
       refused with popauth's text, answered by the policy service; the
       hit is counted once (x 2), not once per query and log line
    3. popauth stopped: Postfix's default action (DUNNO) applies: relay is
       refused, local mail still accepted; after a restart the lease is
       served again from the store

SAFETY
    Needs root (exit 77 otherwise); loopback and temp directories only;
    every process stopped by pid; the firewall and alert mail are off.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

check = h.check
HELO_CHECK = ('inline:{ { mail.test = REJECT You are not mail.test '
              '(HELO forgery) } }')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    h.require_root()
    port = free_port()
    policy = 'check_policy_service inet:127.0.0.1:%d' % port
    extra = {
        'smtpd_helo_required': 'yes',
        'smtpd_helo_restrictions': 'check_helo_access ' + HELO_CHECK,
        # as popauth(8) shows: one line in the relay restrictions, before
        # reject_unauth_destination, for the leases and the blacklist
        'smtpd_relay_restrictions': 'permit_mynetworks, %s, '
                                    'reject_unauth_destination' % policy,
        'smtpd_policy_service_default_action': 'DUNNO',
    }
    with h.Mail(main_cf=extra) as mail:
        settings = dict(policy_listen='inet:127.0.0.1:%d' % port,
                        map_rebuild_delay='0')
        with mail.popauth(**settings) as pa:
            log = pa.stderr_cursor()
            log.wait(r'policy service on inet:127\.0\.0\.1:%d' % port)
            log.wait(r'popauth \S+ started')

            # 1. a login, then relay on the very next transaction
            code, _ = mail.smtp_try_relay('127.0.0.5')
            check(code == 554, '127.0.0.5 is refused relay before a login')
            check(mail.pop3_login('127.0.0.5', 'alice'), 'POP3 login')
            log.wait(r'alice has authenticated a new relay session from '
                     r'127\.0\.0\.5')
            code, text = mail.smtp_try_relay('127.0.0.5')
            check(code == 250, 'the next transaction relays (%s)' % text)

            # 2. a forger, listed, then refused by the policy service
            with mail.smtp_session('127.0.0.9', helo='mail.test') as s:
                s.try_relay(rcpt='alice@mail.test',
                            sender='someone@remote.test')
            log.wait(r'127\.0\.0\.9 (\[\S+\] )?has been blacklisted by '
                     r'mail\.test for helo-forgery')
            with mail.smtp_session('127.0.0.9', helo='h9.example') as s:
                code, text = s.try_relay(rcpt='alice@mail.test',
                                         sender='someone@remote.test')
            check(code == 554 and 'Your IP address has been blacklisted by '
                  'mail.test' in text,
                  'the next session is refused with popauth\'s text: %s'
                  % text)
            log.wait(r'blacklisted 127\.0\.0\.9 (\[\S+\] )?tried again: '
                     r'x 2 \(2 total\)')
            # anything counted twice would show within a second
            time.sleep(1)
            check(pa.stderr_text().count('tried again') == 1,
                  'the refused attempt counted once')
            st = h.popauth_cmd(pa.conf_path, 'status').stdout
            m = re.search(r'policy:   (\d+) queries answered: (\d+) OK, '
                          r'(\d+) refused, (\d+) DUNNO', st)
            check(m and int(m.group(2)) >= 1 and int(m.group(3)) >= 1 and
                  int(m.group(1)) == sum(int(m.group(i)) for i in (2, 3, 4)),
                  'popauth status counts the answers by kind: %s'
                  % (m.group(0) if m else st))

        # 3. popauth stopped: Postfix's default action
        code, _ = mail.smtp_try_relay('127.0.0.5')
        check(code == 554, 'without popauth: DUNNO, relay refused')
        with mail.smtp_session('127.0.0.5', helo='h5.example') as s:
            code, _ = s.try_relay(rcpt='alice@mail.test',
                                  sender='someone@remote.test')
        check(code == 250, 'without popauth: local mail still accepted')
        with mail.popauth(**settings) as pa:
            log = pa.stderr_cursor()
            log.wait(r'popauth \S+ started')
            code, text = mail.smtp_try_relay('127.0.0.5')
            check(code == 250, 'restarted: the lease from the store is '
                  'served again (%s)' % text)


if __name__ == '__main__':
    main()
