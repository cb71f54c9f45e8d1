#!/usr/bin/python3
"""test_v3 - popauth 3's files: import-v3 and export-v3 as a black box.

DESCRIPTION
    import    a spool written the way popauth 3 wrote it (authenticated/,
              fishers/, rbl_cache) is taken over: leases, fishing pairs,
              blacklist records with every field; the maps are written
    bad       a malformed row anywhere stops the import with file:line and
              nothing is imported (the state is unchanged)
    export    export-v3 writes the same files back (round trip), with the
              lease files' mtime at the last login, refuses a non-empty
              directory
SAFETY
    Temp directories only.
"""

import os
import re
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                'e2e'))
import harness as h  # noqa: E402

POPAUTH = os.environ.get('POPAUTH')
T = 1795700000  # 2026-11-26 ...: leases and records live now-ish
NOW = None


check = h.check
run = h.popauth_cmd


def spool(root, now):
    os.makedirs(root + '/authenticated')
    os.makedirs(root + '/fishers')
    with open(root + '/authenticated/192.0.2.10', 'w') as f:
        f.write('alice@example.com\t%d\t%d\t3\n' % (now - 600, now - 60))
        f.write('bob@example.org\t%d\t%d\t1\n' % (now - 120, now - 120))
    # a lease that ended an hour ago (its file left behind by a crash)
    with open(root + '/authenticated/192.0.2.11', 'w') as f:
        f.write('carol@example.com\t%d\t%d\t1\n' % (now - 7200, now - 5400))
    with open(root + '/fishers/198.18.0.66', 'w') as f:
        f.write('a1@example.com\tspam@fish.biz\t%d\t%d\t2\n' % (now - 80, now - 40))
        f.write('a2@example.com\t\t%d\t%d\t1\n' % (now - 40, now - 40))
    with open(root + '/rbl_cache', 'w') as f:
        f.write('198.51.100.7\t%d\t%d\t%d\t2\t52\t2000\tbad.example.net\t'
                'list.dsbl.org\thttp://dsbl.org/listing?ip=198.51.100.7\n'
                % (now - 3600, now - 10, now + 600000))
        f.write('2001:db8::25\t%d\t%d\t-1\t1\t1\t0\tv6.example.net\t'
                'mail.domain1.tld\tHELO forgery\n' % (now - 100, now - 100))


def conf_in(work):
    conf = os.path.join(work, 'popauth.conf')
    with open(conf, 'w') as f:
        f.write('state_directory = state\nrelay_map = lmdb:relay\n'
                'blacklist_map = lmdb:blacklist\nmyhostname = t.example\n'
                'trusted_networks = 127.0.0.0/8\n'
                # the host's firewall is not the tests' to change (the
                # kernel side of ban/unban: e2e/test_firewall.py)
                'firewall = none\n')
    return conf


def test_import(work):
    import time
    now = int(time.time())
    conf = conf_in(work)
    spool(work + '/v3', now)
    r = run(conf, 'import-v3', work + '/v3')
    check('imported 2 relay lease(s), 1 fishing record(s), 2 blacklist '
          'record(s)' in r.stdout, 'import-v3 says what it took')
    lst = run(conf, 'list', 'relays').stdout
    check(re.search(r'^192\.0\.2\.10 .* 3 alice@example\.com$', lst, re.M) and
          re.search(r'^192\.0\.2\.10 .* 1 bob@example\.org$', lst, re.M),
          'the lease and its users')
    show = run(conf, 'show', '198.51.100.7').stdout
    check('blacklisted by list.dsbl.org' in show and
          '2 in the current period, 52 in all' in show and
          'banned until' in show, 'the blacklist record, with its ban')
    show = run(conf, 'show', '198.18.0.66').stdout
    check('<a1@example.com> from <spam@fish.biz>: 2 time(s)' in show and
          '<a2@example.com> from <>' in show, 'the fishing pairs')
    with open(work + '/relay') as f:
        check(f.read() == '192.0.2.10\tOK\n',
              'the relay map is written, without the lease that ended')
    check('192.0.2.11' not in lst, 'the ended lease is not listed')
    with open(work + '/blacklist') as f:
        bl = f.read()
    check(bl.startswith('198.51.100.7\t554 Your IP address has been '
                        'blacklisted by list.dsbl.org.') and
          '2001:db8::25\t554 ' in bl, 'the blacklist map is written')

    # export round trip
    r = run(conf, 'export-v3', work + '/out')
    for name in ('authenticated/192.0.2.10', 'fishers/198.18.0.66',
                 'rbl_cache'):
        with open(work + '/v3/' + name) as a, open(work + '/out/' + name) as b:
            check(sorted(a.read().splitlines()) == sorted(b.read().splitlines()),
                  'export-v3 gives back %s' % name)
    check(os.stat(work + '/out/authenticated/192.0.2.10').st_mtime == now - 60,
          'the lease file\'s mtime is the last login (popauth 3 ran leases '
          'from it)')
    with open(work + '/out/popauth_checks') as f:
        check(f.read() == '192.0.2.10\tOK\n', 'popauth_checks')
    r = run(conf, 'export-v3', work + '/out', ok=False)
    check(r.returncode == 1 and 'not empty' in r.stderr,
          'export-v3 refuses a directory that is not empty')

    # forget: the record goes, and the map follows
    r = run(conf, 'forget', '198.51.100.7', '2001:db8::25')
    check('forgot 198.51.100.7' in r.stdout, 'forget says what it dropped')
    with open(work + '/blacklist') as f:
        check(f.read() == '', 'the blacklist map follows')
    check('not blacklisted' in run(conf, 'show', '198.51.100.7').stdout,
          'show knows nothing of it any more')
    r = run(conf, 'forget', '192.0.2.250', ok=False)
    check(r.returncode == 1 and 'nothing known' in r.stdout,
          'forget of an unknown IP: exit 1')
    r = run(conf, 'forget', 'not-an-ip', ok=False)
    check(r.returncode == 2, 'forget of something that is no IP: exit 2')

    # manual bans: a new IP, a listed one, a protected one (warned)
    r = run(conf, 'ban', '203.0.113.5', '2h')
    check(re.match(r'203\.0\.113\.5 banned until ', r.stdout),
          'ban says until when')
    run(conf, 'ban', '127.0.0.9')
    r = run(conf, 'ban', '127.0.0.9', '1m')
    check('protected (trusted network)' in r.stderr and
          'a longer ban was running already' in r.stdout,
          'a trusted IP is banned with a warning; a shorter ban keeps the '
          'longer one')
    bans = run(conf, 'list', 'bans').stdout
    check(re.search(r'^203\.0\.113\.5 +\S+ \S+ +\S+ \S+ +1 manual '
                    r'+banned by the admin$', bans, re.M) and
          '127.0.0.9' in bans, 'list bans: since, until, hits, origin, '
          'reason\n' + bans)
    with open(work + '/blacklist') as f:
        check('203.0.113.5\t554 ' in f.read(), 'a banned IP is listed too')
    r = run(conf, 'unban', '203.0.113.5')
    check('unbanned 203.0.113.5' in r.stdout, 'unban')
    check('203.0.113.5' not in run(conf, 'list', 'bans').stdout and
          '203.0.113.5' in run(conf, 'list', 'bans', '--all').stdout,
          'an ended ban shows only with --all')
    check('203.0.113.5' in run(conf, 'list', 'blacklist').stdout,
          'the listing stays')
    r = run(conf, 'unban', '203.0.113.5', ok=False)
    check(r.returncode == 1 and 'not banned' in r.stdout,
          'unban of an IP that is not banned: exit 1')
    st = run(conf, 'status').stdout
    check('daemon:   not running' in st and ' listed, ' in st and
          'no note from the daemon yet' in st and 'firewall = none' in st,
          'status without the daemon\n' + st)
    r = run(conf, 'ban', '203.0.113.6', 'soon', ok=False)
    check(r.returncode == 2 and 'not a duration' in r.stderr,
          'ban with a bad duration: exit 2')


def test_bad(work):
    import time
    now = int(time.time())
    conf = conf_in(work)
    spool(work + '/v3', now)
    run(conf, 'import-v3', work + '/v3')
    before = run(conf, 'list', 'blacklist', '--all').stdout
    # the second spool has one bad row at the end of rbl_cache
    spool(work + '/v3b', now)
    with open(work + '/v3b/authenticated/192.0.2.99', 'w') as f:
        f.write('carol@example.net\t%d\t%d\t1\n' % (now, now))
    with open(work + '/v3b/rbl_cache', 'a') as f:
        f.write('203.0.113.5\t1\t2\tsoon\t1\t1\t0\th\ta\tr\n')
    r = run(conf, 'import-v3', work + '/v3b', ok=False)
    check(r.returncode == 1 and re.search(r'v3b/rbl_cache:3: ', r.stderr) and
          'nothing imported' in r.stderr, 'a bad row: file:line, nothing '
          'imported: ' + r.stderr.strip())
    check(run(conf, 'list', 'blacklist', '--all').stdout == before and
          '192.0.2.99' not in run(conf, 'list', 'relays').stdout,
          'the state is unchanged')
    # a file name that is not an IP (popauth 3 left .buffer files behind)
    os.rename(work + '/v3b/authenticated/192.0.2.99',
              work + '/v3b/authenticated/192.0.2.99.buffer')
    r = run(conf, 'import-v3', work + '/v3b', ok=False)
    check(r.returncode == 1 and 'not an IP address' in r.stderr,
          'a .buffer file is refused by name')
    # an IP field that is not an IP
    shutil.rmtree(work + '/v3b')
    spool(work + '/v3b', now)
    with open(work + '/v3b/rbl_cache', 'a') as f:
        f.write('6.6.6.6;touch /tmp/pwned;#\t1\t2\t-1\t1\t1\t0\th\ta\tr\n')
    r = run(conf, 'import-v3', work + '/v3b', ok=False)
    check(r.returncode == 1 and 'is not an IP address' in r.stderr,
          'an injected "IP" is refused')


def main():
    if not POPAUTH:
        sys.exit('POPAUTH is not set')
    os.environ['TZ'] = 'UTC'
    failed = []
    for name, fn in [('import', test_import), ('bad', test_bad)]:
        work = tempfile.mkdtemp(prefix='popauth-v3-%s-' % name)
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
