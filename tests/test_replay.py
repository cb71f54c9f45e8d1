#!/usr/bin/python3
"""test_replay - `popauth replay', `popauth test', `popauth check-config'
and `popauth list' as a black box.

DESCRIPTION
    replay    a log on its own clock: grants, refreshes and expiries by the
              lines' times; the state and the relay map afterwards are those
              of the last line's time; the year of RFC 3164 stamps comes from
              the file's mtime (a log that crosses New Year); several files
              in order; standard input; a gzip file is refused with advice
    test      per line, which recogniser and what it took; -a shows every
              line; totals; a custom pattern from the config is used
    config    check-config prints every key; a bad value names file:line
    list      list relays shows live leases, --all also ended ones
SAFETY
    Temp directories only.
"""

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'e2e'))
import harness as h  # noqa: E402

POPAUTH = os.environ.get('POPAUTH')


check = h.check
run = h.popauth_cmd


def dovecot(stamp, ip, user, proto='pop3'):
    return ('%s mail dovecot: %s-login: Login: user=<%s>, method=PLAIN, '
            'rip=%s, lip=192.0.2.1, mpid=1, session=<s>\n'
            % (stamp, proto, user, ip))


def write(path, lines, mtime=None):
    with open(path, 'w') as f:
        f.writelines(lines)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def keys(path):
    with open(path) as f:
        return sorted(l.split()[0] for l in f if l.strip())


def test_replay(work):
    conf = os.path.join(work, 'popauth.conf')
    with open(conf, 'w') as f:
        f.write('state_directory = state\nrelay_map = lmdb:relay\n'
                'blacklist_map = lmdb:blacklist\n'
                'myhostname = test.example\nrelay_lease = 30m\n')
    # a log across New Year; the file was last written on Jan 1st
    log1 = os.path.join(work, 'mail.log.1')
    log2 = os.path.join(work, 'mail.log')
    write(log1, [
        dovecot('Dec 31 23:00:00', '192.0.2.1', 'alice'),
        dovecot('Dec 31 23:20:00', '192.0.2.1', 'alice'),       # refresh
        dovecot('Dec 31 23:25:00', '192.0.2.1', 'bob', 'imap'),  # 2nd user
        dovecot('Dec 31 23:40:00', '2001:db8::7', 'carol', 'imap'),
        "Dec 31 23:41:00 mail postfix/smtpd[1]: connect from x[192.0.2.99]\n",
        "this line has no header\n",
    ], mtime=time.mktime((2026, 1, 1, 0, 30, 0, 0, 0, -1)))
    write(log2, [
        # 23:25 + 30m = 23:55: 192.0.2.1 ended before this line
        dovecot('Jan  1 00:05:00', '192.0.2.1', 'alice'),
        "Jan  1 00:20:00 mail vm-pop3d[9]: User 'dave' of 'example.com' "
        "from '198.51.100.4' logged in\n",
        "Jan  1 00:30:00 mail kernel: the last line sets the clock\n",
    ], mtime=time.mktime((2026, 1, 1, 0, 35, 0, 0, 0, -1)))
    r = run(conf, 'replay', log1, log2)
    out = r.stdout
    h.note('summary:\n' + out)
    check(re.search(r'^lines: 9 ', out, re.M), 'all 9 lines read')
    check('1 without a log header' in out, 'the line without a header counted')
    check(re.search(r'^login events: 6$', out, re.M), '6 login events')
    check(re.search(r'^  dovecot: 5$', out, re.M) and
          re.search(r'^  vm-pop3d: 1$', out, re.M), 'per recogniser')
    check('relay sessions: 4 granted, 2 refreshed, 2 expired' in out,
          '4 grants (one a new session after expiry), 2 refreshes, 2 expiries')
    check('relay leases at 2026-01-01 00:30:00: 2' in out,
          'state as of the last line (year from the file mtimes)')
    check(keys(os.path.join(work, 'relay')) == ['192.0.2.1', '198.51.100.4'],
          'the map holds the leases live at the last line')
    lst = run(conf, 'list', 'relays', '--all').stdout
    check(re.search(r'^198\.51\.100\.4\s+2026-01-01 00:50:00 .* 1 '
                    r'dave@example\.com$', lst, re.M),
          'list relays --all: dave@example.com until 00:50')
    check(re.search(r'^192\.0\.2\.1\s+2026-01-01 00:35:00 2026-01-01 00:05:00 '
                    r'2026-01-01 00:05:00\s+1 alice$', lst, re.M),
          'a lease that ended starts afresh (first login 00:05, count 1)')
    check(run(conf, 'list', 'relays').stdout.strip() == '',
          'list relays: nothing live now (those leases ended in 2026-01)')
    # standard input, onto the same state
    r = run(conf, 'replay', '-',
            input=dovecot(time.strftime('%b %e %H:%M:%S'), '192.0.2.50', 'erin'))
    check('relay sessions: 1 granted' in r.stdout, 'replay - reads stdin')
    check('192.0.2.50' in run(conf, 'list', 'relays').stdout,
          'a lease of now is live')
    # gzip
    gz = os.path.join(work, 'mail.log.2.gz')
    with gzip.open(gz, 'wt') as f:
        f.write(dovecot('Jan  1 00:00:00', '192.0.2.60', 'x'))
    r = run(conf, 'replay', gz, ok=False)
    check(r.returncode == 1 and 'zcat' in r.stderr, 'gzip: refused, with advice')


def test_windows(work):
    """A file (read in chunks by two threads) and the same bytes on
    standard input (one thread) give the same summary, warnings, state and
    maps: lines across chunk ends, lines just under the length limit
    (carried whole into the next chunk), a no-header line, over-long ones
    (line numbers in the warnings), one longer than a chunk, more program
    names than the dispatcher remembers, CRLF, a last line without a
    newline."""
    import random
    rnd = random.Random(7)
    lines = []
    t = size = 0
    while size < 20 * 1024 * 1024:  # eighty 256 KiB chunks
        size += len(lines[-1]) if lines else 0
        t += rnd.randint(0, 2)
        stamp = 'Nov 26 %02d:%02d:%02d' % (t // 3600 % 24, t // 60 % 60,
                                           t % 60)
        ip = '198.51.%d.%d' % (rnd.randint(0, 255), rnd.randint(1, 254))
        k = rnd.random()
        if k < 0.3:
            lines.append(dovecot(stamp, ip, 'u%d' % rnd.randint(0, 500)))
        elif k < 0.45:
            lines.append('%s mail postfix/smtpd[%d]: NOQUEUE: reject: RCPT '
                         'from unknown[%s]: 554 5.7.1 Service unavailable; '
                         'Client host [%s] blocked using zen.example; '
                         'listed; from=<a@b.example> to=<c@d.example> '
                         'proto=ESMTP helo=<x>\n' % (stamp, 4000 + t % 999,
                                                     ip, ip))
        elif k < 0.5:
            lines.append('%s mail tag%d[1]: rip=%s, unknown program\n'
                         % (stamp, rnd.randint(0, 400), ip))
        elif k < 0.5005:
            lines.append('no header here %d\n' % t)
        elif k < 0.5006:
            lines.append('%s mail postfix/smtpd[1]: %s\n'
                         % (stamp, 'x' * 20000))
        elif k < 0.5012:
            # 16,300 bytes with its newline: under the 16 KiB limit
            lines.append('%s mail postfix/smtpd[1]: %s\n'
                         % (stamp, 'y' * (16300 - 33)))
        elif k < 0.6:
            lines.append('%s mail dovecot: imap(u1): Disconnected: Logged '
                         'out in=1 out=2\r\n' % stamp)
        else:
            lines.append('%s mail postfix/smtpd[%d]: connect from '
                         'unknown[%s]\n' % (stamp, t % 999, ip))
    # longer than a chunk, in the middle
    lines.insert(len(lines) // 2, 'Nov 26 12:00:00 mail postfix/smtpd[1]: %s\n'
                 % ('z' * 300000))
    lines.append(dovecot('Nov 26 23:59:59', '192.0.2.200', 'last').rstrip())
    log = os.path.join(work, 'big.log')
    write(log, lines, mtime=time.mktime((2026, 11, 27, 0, 0, 0, 0, 0, -1)))
    out = {}
    for how in ('file', 'stdin'):
        d = os.path.join(work, how)
        os.mkdir(d)
        conf = os.path.join(d, 'popauth.conf')
        with open(conf, 'w') as f:
            f.write('state_directory = %s/state\nrelay_map = lmdb:%s/relay\n'
                    'blacklist_map = lmdb:%s/blacklist\n'
                    'myhostname = test.example\nrelay_lease = 30m\n'
                    'trusted_networks = 127.0.0.1/32\n'
                    # the tag* programs are more than the dispatcher
                    # remembers: their handlers are found again in the
                    # engine's thread
                    'custom_patterns =\n'
                    '    login tag* /^rip=(?<ip>[0-9.]+), unknown/\n'
                    % (d, d, d))
        if how == 'file':
            r = run(conf, 'replay', log)
        else:
            with open(log) as f:
                data = f.read()
            # stdin has no mtime: the year comes from now; keep it in
            # the file's year by replaying with the same reference
            r = run(conf, 'replay', '-', input=data)
        summary = re.sub(r'\(\d+ lines/s\)', '', r.stdout)
        summary = re.sub(r'relay leases at .*', '', summary)
        warn = re.sub(r'^.*popauth\[\d+\]: ', '', r.stderr, flags=re.M)
        warn = warn.replace('stdin line', 'LINE').replace(log + ' line',
                                                           'LINE')
        # an over-long line is reported with what was read of it so far,
        # which depends on how it was read
        warn = re.sub(r'line of \d+ bytes or more', 'line of N bytes or more',
                      warn)
        with open(os.path.join(d, 'relay')) as f:
            relay = f.read()
        with open(os.path.join(d, 'blacklist')) as f:
            bl = f.read()
        out[how] = (summary, warn, relay, bl)
    f, s_ = out['file'], out['stdin']
    h.note('summary (file):\n' + f[0])
    check(re.search(r'^lines: %d ' % len(lines), f[0], re.M),
          'every line counted (%d)' % len(lines))
    check('too long' in f[0] and 'without a log header' in f[0],
          'the no-header and over-long lines counted')
    check(re.search(r'^  custom: \d{4,}$', f[0], re.M),
          'custom pattern events from 400 program names')
    check(re.search(r'LINE \d+: not a log line', f[1]) and
          re.search(r'LINE \d+: line of N bytes or more skipped', f[1]),
          'warnings name the line')
    for i, what in enumerate(('summary', 'warnings', 'relay map',
                              'blacklist map')):
        check(f[i] == s_[i], 'file and stdin give the same %s' % what)
    check(len(f[2].splitlines()) > 100 and len(f[3].splitlines()) > 1000,
          'the maps are not trivially equal (%d leases, %d listed)'
          % (len(f[2].splitlines()), len(f[3].splitlines())))


def test_test(work):
    conf = os.path.join(work, 'popauth.conf')
    with open(conf, 'w') as f:
        f.write('state_directory = state\nblacklist_map = lmdb:bl\n'
                'relay_map = lmdb:relay\n'
                'custom_patterns =\n'
                '    login mypopd /^LOGIN (?<user>\\S+) from (?<ip>\\S+)$/\n')
    lines = (dovecot('Nov 26 10:00:00', '192.0.2.1', 'alice') +
             'Nov 26 10:00:01 mail mypopd[3]: LOGIN bob from 2001:db8::1\n'
             'Nov 26 10:00:02 mail mypopd[3]: LOGIN eve from 300.1.1.1\n'
             'Nov 26 10:00:03 mail postfix/smtpd[1]: warning: non-SMTP '
             'command from unknown[203.0.113.9]: pop3-login: Login: user=<x>, '
             'method=PLAIN, rip=203.0.113.9, lip=1.1.1.1, session=<x>\n'
             'garbage\n')
    out = run(conf, 'test', input=lines).stdout
    check(re.search(r'^line 1: login recog=dovecot proto=pop3 ip=192\.0\.2\.1 '
                    r'user=alice at \d{4}-11-26 10:00:00$', out, re.M),
          'test: the Dovecot login')
    check(re.search(r'^line 2: login recog=custom ip=2001:db8::1 user=bob ',
                    out, re.M), 'test: the custom pattern')
    check('line 3' not in out and 'line 4' not in out,
          'test: an invalid IP and a Postfix line carrying Dovecot text: no event')
    check('5 lines: 2 login, 1 without a log header' in out, 'totals')
    out = run(conf, 'test', '-a', input=lines).stdout
    check(re.search(r'^line 4: -$', out, re.M) and
          re.search(r'^line 5: no log header$', out, re.M), 'test -a')
    # check-config: every key; a bad value names file and line
    out = run(conf, 'check-config').stdout
    check(re.search(r'^relay_lease = 30m$', out, re.M) and
          'login mypopd' in out, 'check-config prints the values')
    with open(conf, 'a') as f:
        f.write('custom_patterns = login x /(?<ip>[/\n')
    r = run(conf, 'check-config', ok=False)
    check(r.returncode == 1 and re.search(r'popauth\.conf:\d+: custom_patterns',
                                          r.stderr), 'a bad regex: file:line')
    r = run(conf, 'check-config', '-o', 'relay_lease=soon', ok=False)
    check(r.returncode == 1 and '-o: relay_lease' in r.stderr, 'a bad -o')
    r = subprocess.run([POPAUTH, 'frobnicate'], capture_output=True, text=True)
    check(r.returncode == 2 and 'usage:' in r.stderr, 'usage error: status 2')


def main():
    if not POPAUTH:
        sys.exit('POPAUTH is not set')
    os.environ['TZ'] = 'UTC'
    failed = []
    for name, fn in [('replay', test_replay), ('windows', test_windows),
                     ('test', test_test)]:
        work = tempfile.mkdtemp(prefix='popauth-%s-' % name)
        h.note('--- %s (%s)' % (name, work))
        try:
            fn(work)
            shutil.rmtree(work)
        except Exception as e:
            failed.append(name)
            h.note('FAILED %s: %s (kept %s)' % (name, e, work))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
