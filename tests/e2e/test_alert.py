#!/usr/bin/env python3
"""test_alert - the admin's alert mail, delivered by the real Postfix.

A private Postfix (harness.Mail with a mailbox: anything @alert.test goes
into one mbox file in the temp root); popauth `run` reads a log file the
test writes, with alert_to = admin@alert.test and Postfix's own sendmail
(MAIL_CONFIG points at the private instance).

    1. a DNSBL reject lists 192.0.2.99, whose host name carries header
       text ("...#015#012Bcc:victim@..."); then a storm of 100 hits of
       popauth's own blacklist map from it: banned, and exactly one mail
       reaches the mailbox, with the IP, the hits, the ban's end and the
       null-route lines; no Bcc or other header from the host name
    2. a second IP banned with fewer hits than alert_threshold: no mail

SAFETY
    Mail goes only to the private instance's mailbox (its transports
    discard everything else); popauth and the servers are stopped by pid;
    the firewall is off (firewall = none).
"""
import mailbox
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

check = h.check
HOST = 'evil.example#015#012Bcc:victim@example.org'


def stamp():
    return time.strftime('%b %e %H:%M:%S')


def dnsbl(ip, host):
    return ('%s mail postfix/smtpd[100]: NOQUEUE: reject: RCPT from %s[%s]: '
            '554 5.7.1 Service unavailable; Client host [%s] blocked using '
            'zen.example; listed; from=<a@b.example> to=<c@mail.test> '
            'proto=ESMTP helo=<h.example>\n' % (stamp(), host, ip, ip))


def repeat(ip, host):
    return ('%s mail postfix/smtpd[101]: NOQUEUE: reject: RCPT from %s[%s]: '
            '554 5.7.1 <%s[%s]>: Client host rejected: Your IP address has '
            'been blacklisted by zen.example. Visit their website or write '
            'to argue. listed; from=<a@b.example> to=<c@mail.test> '
            'proto=ESMTP helo=<h.example>\n'
            % (stamp(), host, ip, host, ip))


def messages(path):
    if not os.path.exists(path):
        return []
    return list(mailbox.mbox(path))


def main():
    h.require_root()
    with h.Mail(mailbox=True, ipv6=False) as mail:
        log = mail.root + '/popauth-input.log'
        open(log, 'w').close()
        with mail.popauth(log_sources='file:' + log,
                          log_start_position='start',
                          alert_threshold='25',
                          alert_to='admin@alert.test',
                          sendmail_path='sendmail',
                          myhostname='mail.test',
                          trusted_networks='127.0.0.1/32') as pa:
            out = pa.stderr_cursor()
            out.wait(r'popauth \S+ started')

            # 1. a storm from a host name with header text in it
            with open(log, 'a') as f:
                f.write(dnsbl('192.0.2.99', HOST))
                for _ in range(100):
                    f.write(repeat('192.0.2.99', HOST))
            out.wait(r'admin@alert\.test has been told to null-route '
                     r'192\.0\.2\.99', timeout=20)
            msgs = h.wait_until(lambda: messages(mail.mailbox_path),
                                timeout=20, what='the mail in the mailbox')
            # the storm is over: no second mail comes
            time.sleep(2)
            msgs = messages(mail.mailbox_path)
            check(len(msgs) == 1, 'one mail for the ban, not one per hit '
                  '(%d)' % len(msgs))
            m = msgs[0]
            check(m['To'] == '<admin@alert.test>' and
                  m['Subject'].startswith('popauth: 192.0.2.99 null-routed '
                                          'until '),
                  'To and Subject: %s / %s' % (m['To'], m['Subject']))
            check(m['Bcc'] is None and
                  all('victim' not in v for v in m.values()),
                  'the host name added no header')
            body = m.get_payload()
            check('192.0.2.99 [evil.example#015#012Bcc:victim@example.org]'
                  in body, 'the host name is in the body, as logged')
            check('hits in all:        51 (the limit: 50)' in body,
                  'the hits against the limit')
            check('access-list 100 deny ip host 192.0.2.99 any' in body and
                  'iptables -A INPUT -s 192.0.2.99 -j DROP' in body,
                  'the null-route lines')

            # 2. banned below alert_threshold: no mail
            with open(log, 'a') as f:
                f.write(dnsbl('192.0.2.98', 'quiet.example'))
                for _ in range(3):
                    f.write(repeat('192.0.2.98', 'quiet.example'))
            out.wait(r'blacklisted 192\.0\.2\.98 \[quiet\.example\] tried '
                     r'again: x 4', timeout=10)
            time.sleep(2)
            check(len(messages(mail.mailbox_path)) == 1,
                  'no mail for a ban below the threshold')


if __name__ == '__main__':
    main()
