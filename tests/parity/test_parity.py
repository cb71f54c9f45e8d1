#!/usr/bin/python3
"""test_parity - popauth against popauth 3.0.1 (the oracle), scenario by
scenario.

SYNOPSIS
    POPAUTH=build/popauth tests/parity/test_parity.py [-v] [SCENARIO...]

DESCRIPTION
    Each tests/parity/<name>.log is a scenario in old log formats (Postfix
    2.0/2.1, vm-pop3d) with "#@time" directives for the oracle's clock;
    <name>.oracle is what the oracle printed for it (made by regen.sh; the
    golden files are the contract, this test never runs the oracle).

    For each scenario popauth replays the log on a fresh state (the log's
    mtime is set to the scenario's end, so the RFC 3164 stamps get their
    year; "#@time" and "# ..." lines are just lines popauth cannot parse),
    then `popauth export-v3' writes the state in popauth 3's files.  The
    test compares:
      relay  authenticated/<ip>: the IPs, and per user: first, last, count
      rbl    rbl_cache by IP: first, last, unban, period hits, total hits,
             rate (to 1e-9), host, authority (not the reason: popauth
             words it its own way)
      fish   fishers/<ip>: the IPs, and per (recipient, sender) pair:
             first, last, hits
      oracle the oracle's exit status (popauth must not die)
    IPs are compared in canonical form (popauth 3 keeps the log's text).

    Every difference must be listed in EXPECTED below, with the SPEC 3 fix
    or NOTES 5 bug that explains it; anything else fails, with scenario,
    section, IP, row, field and both values.  An EXPECTED entry that no
    longer matches anything fails too, so the table cannot rot.  Entries
    whose reason begins "KNOWN-BUG:" are popauth bugs: they are reported
    and keep the test red until the engine is fixed.

    The test also checks the scenarios: every log line's stamp must equal
    the oracle's fake clock at that point, and the .oracle files must have
    been made from the current .log files (oracle.sums).

OPTIONS
    -v    also show the expected differences and their values

ENVIRONMENT
    POPAUTH   the popauth binary (meson's test_env sets it)
"""

import calendar
import hashlib
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
POPAUTH = os.environ.get('POPAUTH')
ORACLE_START = '2005-03-05 10:00:00'    # run_oracle.sh's default, UTC
MYHOSTNAME = 'mail.domain1.tld'         # popauth 3's $localhost_dns_name

# ---------------------------------------------------------------------------
# The expected differences.
# (scenario, section, ip, row, field, reason)
#   section  relay | rbl | fish | oracle
#   row      relay: the user; fish: "<to> from <from>"; rbl/oracle: '';
#            a repeated row is "row #2", "row #3"...; '*' matches any row
#            of that IP (use it only where rows multiply)
#   field    present | first | last | count | hits | unban | period |
#            total | rate | host | authority | exit
# Reasons cite SPEC.md section 3 (what popauth fixes) or the seed's
# NOTES.md section 5 (popauth 3's bugs B1..B22).
# ---------------------------------------------------------------------------
B10_TIMES = ('B10 (NOTES 5): popauth 3 gives a new fishing pair the first/'
             'last of the last row it read; popauth gives it its own times '
             '(SPEC 3 fishing fix "new pairs get their own times")')
FISH_BAN = ('B17 (NOTES 5): popauth 3 never used nullroute_fish_bansecs; '
            'popauth bans a new fisher at once for nullroute_fish_ban (1w) '
            'and no later hit shortens it (SPEC 3)')
B13 = ('B13 (NOTES 5): a slow repeat (gap > 30 s, total <= 50) makes popauth '
       '3 write unban -1, lifting the ban; popauth never shortens a ban '
       '(SPEC 3 repeat-hit fix)')
B13_PAST = ('B13 (NOTES 5): a slow repeat makes popauth 3 write unban -1; '
            'popauth keeps the (here already past) ban end, which changes '
            'nothing: a ban is on while its end is ahead (SPEC 3)')
B12_NULL = ('B12 (NOTES 5): popauth 3\'s from=<([^>]+)> cannot match the '
            'null sender, so bounces are never seen; SPEC 3 fishing fix: '
            '"from=<> counts"')
TIMERS = ('SPEC 3 "expiry takes effect on time (timers), not only when a '
          'new line arrives": popauth 3 runs its expiry checks only after '
          'a line, after handling it (NOTES 3, 4.2), so this first line '
          'after the expiry found the old state')
B21 = ('B21/B3 (NOTES 5): popauth 3 finds the user\'s row with '
       '/^$useremail\\t/, so "j.doe" matches jxdoe\'s row and takes it over '
       '(jxdoe\'s first login, count 2); popauth compares names as strings')
B3_ALT = ('B3 (NOTES 5): "zz|jim@" is an alternation that matches jim@\'s '
          'row, which popauth 3 overwrites (jim@\'s first, hits 2); popauth '
          'keeps both pairs (SPEC 3: "addresses are compared as strings, '
          'never as regexes")')
LEASE = ('SPEC 3 "never blacklisted or banned: ... IPs that hold a live '
         'relay lease"; popauth 3 listed it')

LEASE_REPEAT = ('SPEC 3 "never blacklisted or banned: ... IPs that hold a '
                'live relay lease": popauth ignores the map rejects of '
                'leased 192.0.2.72 (its DNSBL record stays as it was); '
                'popauth 3 counted them and banned it')


def b10(scen, ip, tos, reason=B10_TIMES, sender='spam@fish.biz'):
    """first and last of new fishing pairs (B10), row by row"""
    return [(scen, 'fish', ip, '<%s@example.com> from <%s>' % (to, sender),
             field, reason) for to in tos for field in ('first', 'last')]


EXPECTED = [
    # -- pop_leases
    ('pop_leases', 'relay', '192.0.2.40', 'jxdoe@example.com', 'present',
     B21),
    ('pop_leases', 'relay', '192.0.2.40', 'j.doe@example.com', 'first', B21),
    ('pop_leases', 'relay', '192.0.2.40', 'j.doe@example.com', 'count', B21),
    ('pop_leases', 'relay', '192.0.2.50', '', 'present',
     'B12 (NOTES 5): popauth 3\'s vm-pop3d regex takes no "-" in the vhost '
     '(my-domain.com is ignored); popauth\'s recogniser reads it'),
    # -- rbl_repeat
    ('rbl_repeat', 'rbl', '198.51.100.7', '', 'unban', B13),
    ('rbl_repeat', 'rbl', '198.51.100.20', '', 'present',
     'B12 (NOTES 5): a DNSBL without TXT (no second ";") is not trapped by '
     'popauth 3; popauth lists it (and counts its repeat)'),
    ('rbl_repeat', 'rbl', '198.51.100.99', '', 'present',
     'B12 (NOTES 5): Postfix >= 2.3\'s "554 5.7.1" DNSBL reject is not '
     'recognised by popauth 3; popauth recognises the modern format'),
    # -- storm
    ('storm', 'rbl', '203.0.113.6', '', 'unban', B13_PAST),
    # -- fishing
    *b10('fishing', '198.18.0.66', ['a2', 'a3', 'a4', 'a5', 'a6']),
    ('fishing', 'rbl', '198.18.0.66', '', 'unban', FISH_BAN),
    *b10('fishing', '198.18.0.77', ['sales', 'support']),
    ('fishing', 'rbl', '198.18.0.77', '', 'unban', FISH_BAN),
    *b10('fishing', '198.18.0.88', ['x2', 'x3']),
    ('fishing', 'rbl', '198.18.0.88', '', 'present',
     'B10 (NOTES 5): with x2 stamped with x1\'s time, popauth 3 sees x3 '
     '60 s after "the latest" event; popauth sees it 20 s after x2, a new '
     'distinct pair within 1/nullroute_freq: fishing (SPEC 3 rule and '
     'fix "new pairs get their own times")'),
    *b10('fishing', '198.18.0.60', ['e2']),
    ('fishing', 'rbl', '198.18.0.60', '', 'unban', FISH_BAN),
    *b10('fishing', '198.18.0.61', ['f2']),
    ('fishing', 'fish', '198.18.0.99', '', 'present', B12_NULL),
    ('fishing', 'rbl', '198.18.0.99', '', 'present',
     B12_NULL + ' (two bounces 5 s apart: fast fishing)'),
    ('fishing', 'rbl', '198.18.0.55', '', 'present',
     'B10 (NOTES 5, "totalattempts ... is the hits of the matching row"): '
     'popauth 3 lists a client that repeats ONE unknown pair within '
     'hits x 30 s (a list server retrying a dead address); SPEC 3\'s rule '
     'counts only distinct pairs ("or when a NEW distinct pair comes '
     'within 1/nullroute_freq seconds")'),
    # -- fishing_regex
    ('fishing_regex', 'fish', '198.18.0.44', '*', 'present',
     'B3 (NOTES 5): "user+tag@" as a regex never matches its own row, so '
     'popauth 3 adds a row per mail; popauth keeps one pair'),
    ('fishing_regex', 'fish', '198.18.0.44',
     '<user+tag@example.com> from <spam@fish.biz>', 'last',
     'B3: popauth 3 never updates the row (see above)'),
    ('fishing_regex', 'fish', '198.18.0.44',
     '<user+tag@example.com> from <spam@fish.biz>', 'hits',
     'B3: popauth 3 never updates the row (see above)'),
    ('fishing_regex', 'rbl', '198.18.0.44', '', 'present',
     'B3 (NOTES 5): six mails to ONE address look like six addresses to '
     'popauth 3 (> fish_threshold): listed; popauth compares strings '
     '(SPEC 3 fishing fix)'),
    ('fishing_regex', 'fish', '198.18.0.33',
     '<jim@example.com> from <spam@fish.biz>', 'present', B3_ALT),
    ('fishing_regex', 'fish', '198.18.0.33',
     '<zz|jim@example.com> from <spam@fish.biz>', 'first', B3_ALT),
    ('fishing_regex', 'fish', '198.18.0.33',
     '<zz|jim@example.com> from <spam@fish.biz>', 'hits', B3_ALT),
    # -- fishing_nested
    ('fishing_nested', 'oracle', '', '', 'exit',
     'B3 (NOTES 5): "a**b@" in popauth 3\'s row regex: "Nested '
     'quantifiers", the daemon dies (exit 25); popauth treats it as a '
     'string'),
    ('fishing_nested', 'fish', '198.18.0.201',
     '<a**b@example.com> from <spam@fish.biz>', 'present',
     'B3: popauth 3 died on this line (see above)'),
    ('fishing_nested', 'fish', '198.18.0.201.buffer', '', 'present',
     'B3/B16 (NOTES 5): popauth 3 died in the middle of a rewrite and left '
     'its .buffer file in the spool'),
    # -- hazards
    ('hazards', 'rbl', '6.6.6.6;touch /tmp/pwned;#', '', 'present',
     'B4 (NOTES 5): popauth 3 takes any text in [...] as the IP (this one '
     'reached iptables.sh, run by root); popauth acts only on IPs parsed '
     'as addresses (SPEC 3: "state is keyed by IP")'),
    ('hazards', 'rbl', '1.2.3.4 OK', '', 'present',
     'B4 (NOTES 5): the text would become the map key "1.2.3.4" with value '
     '"OK ...", whitelisting the client; popauth ignores a non-address'),
    ('hazards', 'relay', '999.999.999.999', '', 'present',
     'B9 (NOTES 5): \\d{1,3} accepts 999; popauth leases real addresses '
     'only'),
    ('hazards', 'relay', '192.0.2.90', '', 'present',
     'B12 (NOTES 5): popauth 3 needs the syslog host to be one \\w+ word '
     '("mail-1" hides the login); popauth reads any RFC 3164 host'),
    ('hazards', 'rbl', '198.51.100.77', '', 'present',
     'B12 (NOTES 5): (same) an FQDN syslog host hides the DNSBL reject from '
     'popauth 3'),
    # -- expiry_fish
    *b10('expiry_fish', '198.18.0.11', ['b2']),
    # -- expiry_timers
    ('expiry_timers', 'rbl', '198.51.100.60', '', 'first', TIMERS),
    ('expiry_timers', 'rbl', '198.51.100.60', '', 'total', TIMERS),
    ('expiry_timers', 'rbl', '198.51.100.60', '', 'rate', TIMERS),
    ('expiry_timers', 'fish', '198.18.0.10',
     '<a1@example.com> from <spam@fish.biz>', 'present', TIMERS),
    ('expiry_timers', 'fish', '198.18.0.10',
     '<a2@example.com> from <spam@fish.biz>', 'first',
     TIMERS + '; and B10: a2 got a1\'s times'),
    ('expiry_timers', 'fish', '198.18.0.10',
     '<a2@example.com> from <spam@fish.biz>', 'last',
     TIMERS + '; and B10: a2 got a1\'s times'),
    ('expiry_timers', 'relay', '192.0.2.50', 'erin@example.net', 'first',
     TIMERS),
    ('expiry_timers', 'relay', '192.0.2.50', 'erin@example.net', 'count',
     TIMERS),
    # -- ipv6
    ('ipv6', 'rbl', '2001:db8::2', '', 'present',
     'B5 (NOTES 5): "uniq --check-chars=15" merges 2001:db8:0:0:0:0:0:1 '
     'and ...:2, so popauth 3 loses :2 each time; popauth keys records by '
     'the binary address'),
    ('ipv6', 'relay', '2001:db8::7', '', 'present',
     'B9 (NOTES 5): popauth 3\'s POP regex takes dotted quads only; '
     'popauth leases IPv6 clients'),
    *b10('ipv6', '2001:db8::99', ['a2']),
    ('ipv6', 'rbl', '2001:db8::99', '', 'unban', FISH_BAN),
    # -- protect
    ('protect', 'rbl', '192.0.2.70', '', 'present',
     LEASE + ' (a forgery 5 min after gina logged in)'),
    ('protect', 'rbl', '192.0.2.71', '', 'present',
     'SPEC 3 "users who send before they log in": a login within '
     'login_grace (10m) clears popauth\'s own forgery listing of the IP; '
     'popauth 3 keeps it'),
    ('protect', 'rbl', '192.0.2.72', '', 'last', LEASE_REPEAT),
    ('protect', 'rbl', '192.0.2.72', '', 'period', LEASE_REPEAT),
    ('protect', 'rbl', '192.0.2.72', '', 'total', LEASE_REPEAT),
    ('protect', 'rbl', '192.0.2.72', '', 'rate', LEASE_REPEAT),
    ('protect', 'rbl', '192.0.2.72', '', 'unban', LEASE_REPEAT),
    ('protect', 'fish', '192.0.2.70', '', 'present',
     'SPEC 3 "never blacklisted or banned: ... IPs that hold a live relay '
     'lease": popauth keeps no fishing data for a leased IP (gina mistyped '
     'a local address), so a user\'s typos never count toward a fishing '
     'listing later; popauth 3 recorded it'),
    ('protect', 'rbl', '127.0.0.1', '', 'present',
     'SPEC 3 "never blacklisted or banned: loopback, trusted_networks"; '
     'popauth 3 listed localhost'),
]

# ---------------------------------------------------------------------------
# helpers

VERBOSE = False
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
          'Oct', 'Nov', 'Dec']
UNITS = {'s': 1, '': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def utc(s):
    return calendar.timegm(time.strptime(s.strip(), '%Y-%m-%d %H:%M:%S'))


def fmt(t):
    return time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(t))


def norm_ip(s):
    """an IP in canonical form; anything else (a .buffer file) as is"""
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def show(v):
    """a value for a report: times also as dates"""
    if isinstance(v, int) and v > 1000000000:
        return '%d (%s)' % (v, fmt(v))
    return repr(v) if isinstance(v, str) else str(v)


class ScenarioError(Exception):
    pass


def read_scenario(path):
    """check the clock rule; return the fake time at the end"""
    now = utc(ORACLE_START)
    seen_line = False
    stamp = re.compile(r'^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) ')
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            where = '%s:%d' % (os.path.basename(path), n)
            m = re.match(r'^#@time\s+(.*?)\s*$', line)
            if m:
                spec = m.group(1)
                r = re.match(r'^\+(\d+)([smhdw]?)$', spec)
                t = now + int(r.group(1)) * UNITS[r.group(2)] if r \
                    else utc(spec)
                if t < now:
                    raise ScenarioError('%s: #@time goes back' % where)
                now = t
                continue
            if line.startswith('#'):
                if seen_line:
                    raise ScenarioError(
                        '%s: a comment after the first log line is a line '
                        'to the oracle (it runs its checks): put comments '
                        'at the top' % where)
                continue
            seen_line = True
            m = stamp.match(line)
            if not m:
                raise ScenarioError('%s: no syslog stamp' % where)
            tm = time.gmtime(now)
            want = (MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour,
                    tm.tm_min, tm.tm_sec)
            got = (m.group(1), int(m.group(2)), int(m.group(3)),
                   int(m.group(4)), int(m.group(5)))
            if got != want:
                raise ScenarioError(
                    '%s: stamp %s but the oracle\'s clock is %s: add a '
                    '"#@time" directive' % (where, line[:15], fmt(now)))
    return now


def put_row(rows, key, value):
    """rows[key] = value; a repeated key becomes "key #2", "key #3"..."""
    k, n = key, 1
    while k in rows:
        n += 1
        k = '%s #%d' % (key, n)
    rows[k] = value


def relay_rows(lines):
    rows = {}
    for l in lines:
        f = l.split('\t')
        put_row(rows, f[0], {'first': int(f[1]), 'last': int(f[2]),
                             'count': int(f[3])})
    return rows


def fish_rows(lines):
    rows = {}
    for l in lines:
        f = l.split('\t')
        put_row(rows, '<%s> from <%s>' % (f[0], f[1]),
                {'first': int(f[2]), 'last': int(f[3]), 'hits': int(f[4])})
    return rows


def rbl_rows(lines):
    recs = {}
    for l in lines:
        f = l.split('\t')
        put_row(recs, norm_ip(f[0]), {
            'first': int(f[1]), 'last': int(f[2]), 'unban': int(f[3]),
            'period': int(f[4]), 'total': int(f[5]), 'rate': float(f[6]),
            'host': f[7], 'authority': f[8]})
    return recs


def parse_oracle(text):
    """the state sections of run_oracle.sh's output"""
    st = {'exit': None, 'relay': {}, 'fish': {}, 'rbl': {}}
    sections, cur = [], None
    for line in text.split('\n'):
        m = re.match(r'^=== (.*) ===$', line)
        if m:
            cur = [m.group(1), []]
            sections.append(cur)
        elif cur is not None:
            cur[1].append(line)
    spool = {'var/spool/popauth/authenticated/': ('relay', relay_rows),
             'var/spool/popauth/fishers/': ('fish', fish_rows)}
    for head, body in sections:
        body = [l for l in body if l != '']
        m = re.match(r'^oracle exit status: (\S+);', head)
        if m:
            st['exit'] = m.group(1)
            continue
        m = re.match(r'^(\S+) \((?:mtime [^)]*|absent)\)$', head)
        if not m:
            continue
        path = m.group(1)
        if path == 'etc/postfix/data/rbl_cache':
            st['rbl'] = rbl_rows(body)
        for d, (sec, fn) in spool.items():
            if path.startswith(d) and '/' not in path[len(d):]:
                st[sec][norm_ip(path[len(d):])] = fn(body)
    if st['exit'] is None:
        raise ScenarioError('no "oracle exit status" line')
    return st


def run_popauth(name, log, end, work):
    conf = os.path.join(work, 'popauth.conf')
    with open(conf, 'w') as f:
        f.write('state_directory = %s/state\n'
                'relay_map = lmdb:%s/relay\n'
                'blacklist_map = lmdb:%s/blacklist\n'
                'myhostname = %s\n'
                'log_destination = stderr\n'
                'trusted_networks = 127.0.0.0/8\n'
                % (work, work, work, MYHOSTNAME))
    copy = os.path.join(work, name + '.log')
    shutil.copyfile(log, copy)
    os.utime(copy, (end, end))     # the year of the stamps
    env = dict(os.environ, TZ='UTC')
    out = os.path.join(work, 'v3')
    for args in (['replay', copy], ['export-v3', out]):
        r = subprocess.run([POPAUTH, '-c', conf] + args, env=env,
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError('%s: popauth %s: exit %d\n%s%s' % (
                name, args[0], r.returncode, r.stdout, r.stderr))
    st = {'exit': '0', 'relay': {}, 'fish': {}, 'rbl': {}}
    for sec, d, fn in (('relay', 'authenticated', relay_rows),
                       ('fish', 'fishers', fish_rows)):
        for ip in sorted(os.listdir(os.path.join(out, d))):
            with open(os.path.join(out, d, ip)) as f:
                st[sec][norm_ip(ip)] = fn(f.read().splitlines())
    with open(os.path.join(out, 'rbl_cache')) as f:
        st['rbl'] = rbl_rows(f.read().splitlines())
    return st


def same(field, a, b):
    if field == 'rate':
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def compare(o, p):
    """[(section, ip, row, field, oracle value, popauth value)]"""
    diffs = []
    if o['exit'] != p['exit']:
        diffs.append(('oracle', '', '', 'exit', o['exit'], p['exit']))

    def fields(sec, ip, row, a, b):
        for k in a:
            if not same(k, a[k], b[k]):
                diffs.append((sec, ip, row, k, a[k], b[k]))

    for sec in ('relay', 'fish', 'rbl'):
        for ip in sorted(set(o[sec]) | set(p[sec])):
            if (ip in o[sec]) != (ip in p[sec]):
                diffs.append((sec, ip, '', 'present',
                              'yes' if ip in o[sec] else 'no',
                              'yes' if ip in p[sec] else 'no'))
                continue
            a, b = o[sec][ip], p[sec][ip]
            if sec == 'rbl':
                fields(sec, ip, '', a, b)
                continue
            for row in sorted(set(a) | set(b)):
                if (row in a) != (row in b):
                    diffs.append((sec, ip, row, 'present',
                                  'yes' if row in a else 'no',
                                  'yes' if row in b else 'no'))
                else:
                    fields(sec, ip, row, a[row], b[row])
    return diffs


def matches(entry, name, d):
    scen, sec, ip, row, field, _ = entry
    return (scen == name and sec == d[0] and ip == d[1] and
            (row == '*' or row == d[2]) and field == d[3])


def fmt_diff(name, d):
    sec, ip, row, field, a, b = d
    return '%s: %s %s%s %s: oracle %s, popauth %s' % (
        name, sec, ip or '-', ' [%s]' % row if row else '', field,
        show(a), show(b))


def check_sums(names):
    """the golden files were made from these logs"""
    sums = {}
    path = os.path.join(HERE, 'oracle.sums')
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                h, fn = line.split()
                sums[fn] = h
    bad = []
    for name in names:
        with open(os.path.join(HERE, name + '.log'), 'rb') as f:
            h = hashlib.sha256(f.read()).hexdigest()
        if not os.path.exists(os.path.join(HERE, name + '.oracle')):
            bad.append('%s.oracle is missing' % name)
        elif sums.get(name + '.log') != h:
            bad.append('%s.log changed since %s.oracle was made' % (name,
                                                                     name))
    return bad


def main(argv):
    global VERBOSE
    args = [a for a in argv if a != '-v']
    VERBOSE = len(args) != len(argv)
    if not POPAUTH:
        print('test_parity: set POPAUTH to the popauth binary')
        return 2
    names = sorted(f[:-4] for f in os.listdir(HERE) if f.endswith('.log'))
    if args:
        names = [a[:-4] if a.endswith('.log') else a for a in args]
    failures = ['golden: ' + b + ' (run tests/parity/regen.sh)'
                for b in check_sums(names)]
    used = set()
    known = []
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix='parity.')
    try:
        for name in names:
            log = os.path.join(HERE, name + '.log')
            try:
                end = read_scenario(log)
                with open(os.path.join(HERE, name + '.oracle'),
                          encoding='utf-8', errors='surrogateescape') as f:
                    o = parse_oracle(f.read())
            except (ScenarioError, OSError) as e:
                failures.append('%s: %s' % (name, e))
                continue
            wd = os.path.join(work, name)
            os.mkdir(wd)
            p = run_popauth(name, log, end, wd)
            diffs = compare(o, p)
            nexp = 0
            for d in diffs:
                hit = [i for i, e in enumerate(EXPECTED)
                       if matches(e, name, d)]
                used.update(hit)
                if not hit:
                    failures.append('UNEXPECTED ' + fmt_diff(name, d))
                    continue
                reason = EXPECTED[hit[0]][5]
                if reason.startswith('KNOWN-BUG:'):
                    known.append(fmt_diff(name, d) + '\n    ' + reason)
                    continue
                nexp += 1
                if VERBOSE:
                    print('  expected ' + fmt_diff(name, d) +
                          '\n    ' + reason)
            print('%s %s: %d difference(s), %d expected' % (
                'ok  ' if nexp == len(diffs) else 'FAIL', name, len(diffs),
                nexp))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for i, e in enumerate(EXPECTED):
        if i not in used and e[0] in names:
            failures.append('UNUSED expected difference (no longer seen; '
                            'remove it): %r' % (e[:5],))
    if known:
        print('\nKNOWN BUGS (popauth disagrees with popauth 3 where SPEC '
              'calls for no change):')
        for k in known:
            print('  ' + k)
    if failures:
        print('\nFAILURES:')
        for f in failures:
            print('  ' + f)
    print('\n%d scenario(s) in %.1f s' % (len(names), time.monotonic() - t0))
    return 1 if failures or known else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
