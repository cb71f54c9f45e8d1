#!/usr/bin/env python3
"""test_firewall - null-routing with the real nftables, in two network
namespaces this test creates and deletes.

    server namespace: 192.0.2.1/24, 2001:db8::1/64, a TCP listener on port
        25, popauth `run` (firewall = nftables) reading a log file, and a
        table of someone else's (`inet other`) that must survive
    client namespace: 192.0.2.2, 192.0.2.3, 2001:db8::2, 2001:db8::3 on the
        other end of a veth pair

    The story runs with firewall = nftables, ipset (sets popauth4/popauth6
    and iptables/ip6tables rules) and iptables-script (a chain of DROP
    rules, rebuilt whole), the last two when ipset and iptables are
    installed:

    1. both clients connect; then log lines make 192.0.2.2 and 2001:db8::2
       address fishers (banned for a few seconds): their connections are
       dropped, the neighbours' (.3, ::3) still accepted
    2. popauth's ban4 set flushed behind its back: back at the next
       firewall_refresh (2 s), with the right timeout
    3. popauth stopped: the ban stays (the kernel holds it) and ends on
       time without popauth: 192.0.2.2 connects again (iptables-script:
       popauth running, it takes the rule out on time)
    4. `popauth ban` / `unban` by hand, the daemon stopped: in the kernel
       at once
    5. `inet other` (and, for ipset, someone else's iptables rule)
       untouched throughout
    6. a reload that moves the bans (to the next backend, or for nftables
       alone to another table): a ban is in the new place, and popauth's
       old table, sets or chains are gone
    7. (nftables) a move to a backend that fails (ipset not on popauth's
       PATH): reported, and the old table stays in force

SAFETY
    Everything happens inside the two namespaces (the host's ruleset and
    interfaces are never touched; `nft list tables` outside is compared
    before and after); popauth and the listener are stopped by pid, the
    namespaces deleted, the temp directory removed.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

check = h.check
SUFFIX = str(os.getpid())
SRV, CLI = 'pa-fw-s' + SUFFIX, 'pa-fw-c' + SUFFIX
BAN = 8  # seconds

LISTENER = r'''
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', 25))
s.listen(64)
print('listening', flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b'220 ok\r\n')
    c.close()
'''

CLIENT = r'''
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ':' in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(1.0)
s.bind((src, 0))
try:
    s.connect((dst, 25))
    print('open' if s.recv(16).startswith(b'220') else 'odd')
except OSError as e:
    print('dropped' if isinstance(e, socket.timeout) else 'error %s' % e)
'''


def sh(*argv, ns=None, ok=True, input=None):
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + list(argv)
    r = subprocess.run(cmd, capture_output=True, text=True, input=input,
                       timeout=30)
    if ok and r.returncode != 0:
        raise AssertionError('%s: %s' % (' '.join(cmd), r.stderr.strip()))
    return r.stdout


def connect(src, dst):
    return sh(sys.executable, '-c', CLIENT, src, dst, ns=CLI).strip()


def nft_set(name, table='popauth'):
    return sh('nft', 'list', 'set', 'inet', table, name, ns=SRV, ok=False)


def make_namespaces():
    sh('ip', 'netns', 'add', SRV)
    sh('ip', 'netns', 'add', CLI)
    sh('ip', 'link', 'add', 'vs', 'netns', SRV, 'type', 'veth', 'peer',
       'name', 'vc', 'netns', CLI)
    for ns, dev, addrs in ((SRV, 'vs', ['192.0.2.1/24']),
                           (CLI, 'vc', ['192.0.2.2/24', '192.0.2.3/24'])):
        for a in addrs:
            sh('ip', '-n', ns, 'addr', 'add', a, 'dev', dev)
        sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
        sh('ip', '-n', ns, 'link', 'set', dev, 'up')
    sh('ip', '-n', SRV, 'addr', 'add', '2001:db8::1/64', 'dev', 'vs', 'nodad')
    for a in ('2001:db8::2/64', '2001:db8::3/64'):
        sh('ip', '-n', CLI, 'addr', 'add', a, 'dev', 'vc', 'nodad')


def fishing(ip, n):
    stamp = time.strftime('%b %e %H:%M:%S')
    return ''.join(
        '%s mail postfix/smtpd[%d]: NOQUEUE: reject: RCPT from unknown[%s]: '
        '550 5.1.1 <nosuch%d@test.example>: Recipient address rejected: '
        'User unknown in local recipient table; from=<> '
        'to=<nosuch%d@test.example> proto=ESMTP helo=<h.example>\n'
        % (stamp, 100 + i, ip, i, i) for i in range(n))


def in_set(backend, fam, table='popauth'):
    """what popauth's set (or chain) of family fam (4, 6) lists in the
    server namespace"""
    if backend == 'ipset':
        return sh('ipset', 'list', '%s%d' % (table, fam), ns=SRV, ok=False)
    if backend == 'iptables-script':
        return sh('iptables' if fam == 4 else 'ip6tables', '-w', '-S',
                  table, ns=SRV, ok=False)
    return nft_set('ban%d' % fam, table)


def banned(backend, ip, table='popauth'):
    s = in_set(backend, 6 if ':' in ip else 4, table)
    if backend == 'iptables-script':
        return '-s %s/%d -j DROP' % (ip, 128 if ':' in ip else 32) in s
    return '%s timeout' % ip in s


def flush_set(backend, fam):
    if backend == 'ipset':
        sh('ipset', 'flush', 'popauth%d' % fam, ns=SRV)
    elif backend == 'iptables-script':
        sh('iptables' if fam == 4 else 'ip6tables', '-w', '-F', 'popauth',
           ns=SRV)
    else:
        sh('nft', 'flush', 'set', 'inet', 'popauth', 'ban%d' % fam, ns=SRV)


def leftovers(backend, table='popauth'):
    """popauth's objects of this backend and table still in the server
    namespace, as text ('' if none)"""
    if backend == 'nftables':
        t = sh('nft', 'list', 'tables', ns=SRV)
        return 'inet %s' % table if 'inet %s\n' % table in t else ''
    found = []
    for prog in ('iptables', 'ip6tables'):
        for line in sh(prog, '-w', '-S', ns=SRV).splitlines():
            if (backend == 'ipset' and '--match-set %s' % table in line) or \
               (backend != 'ipset' and line.split()[-1:] == [table]):
                found.append(prog + ' ' + line)
    if backend == 'ipset':
        found += [n for n in sh('ipset', 'list', '-n', ns=SRV).split()
                  if n.startswith(table)]
    return ', '.join(found)


def scenario(backend, work, move_to):
    """the whole story with one firewall backend, in fresh namespaces;
    at the end a reload moves the bans to move_to (backend, table)"""
    h.note('--- firewall = %s' % backend)
    procs = []
    err_path = os.path.join(work, 'stderr')
    open(err_path, 'w').close()
    try:
        make_namespaces()
        # someone else's rules, which must survive
        sh('nft', '-f', '-', ns=SRV, input='table inet other {\n'
           ' chain c {\n  type filter hook input priority 0; policy '
           'accept;\n  tcp dport 9 drop\n }\n}\n')
        if backend != 'nftables':
            sh('iptables', '-w', '-A', 'INPUT', '-p', 'tcp', '--dport', '7',
               '-j', 'DROP', ns=SRV)
        lst = subprocess.Popen(['ip', 'netns', 'exec', SRV, sys.executable,
                                '-c', LISTENER], stdout=subprocess.PIPE,
                               text=True)
        procs.append(lst)
        check(lst.stdout.readline().strip() == 'listening',
              'a listener on port 25 in the server namespace')
        for src, dst in (('192.0.2.2', '192.0.2.1'),
                         ('2001:db8::2', '2001:db8::1')):
            h.wait_until(lambda: connect(src, dst) == 'open', timeout=10,
                         what='%s reaches the listener' % src)

        log = os.path.join(work, 'mail.log')
        open(log, 'w').close()
        conf = os.path.join(work, 'popauth.conf')
        with open(conf, 'w') as f:
            f.write('log_sources = file:%s\nlog_start_position = start\n'
                    'state_directory = %s/state\n'
                    'relay_map = lmdb:%s/relay\n'
                    'blacklist_map = lmdb:%s/blacklist\n'
                    'log_destination = stderr\nmyhostname = test.example\n'
                    'trusted_networks = 127.0.0.1/32\nfish_threshold = 1\n'
                    'nullroute_fish_ban = %ds\nfirewall = %s\n'
                    'firewall_refresh = 2s\nalert_threshold = 0\n'
                    % (log, work, work, work, BAN, backend))
        err = open(err_path, 'w')
        pa = subprocess.Popen(['ip', 'netns', 'exec', SRV,
                               os.environ['POPAUTH'], '-c', conf, 'run'],
                              stdout=err, stderr=err)
        procs.append(pa)
        h.wait_until(lambda: 'popauth' in in_set(backend, 4) or
                     'type ipv4_addr' in in_set(backend, 4), timeout=10,
                     what="popauth's sets in the server namespace")

        # 1. fishers are banned, their neighbours not
        with open(log, 'a') as f:
            f.write(fishing('192.0.2.2', 2) + fishing('2001:db8::2', 2))
        t_ban = time.time()
        h.wait_until(lambda: banned(backend, '192.0.2.2') and
                     banned(backend, '2001:db8::2'),
                     timeout=10, what='both fishers in the sets')
        check(connect('192.0.2.2', '192.0.2.1') == 'dropped',
              '192.0.2.2 is dropped')
        check(connect('2001:db8::2', '2001:db8::1') == 'dropped',
              '2001:db8::2 is dropped')
        check(connect('192.0.2.3', '192.0.2.1') == 'open' and
              connect('2001:db8::3', '2001:db8::1') == 'open',
              'the neighbours still connect')
        status = h.wait_until(
            lambda: (lambda s: s if '2 banned now' in s and 'working' in s
                     else None)(sh(os.environ['POPAUTH'], '-c', conf,
                                   'status', ns=SRV)),
            timeout=5, what='popauth status')
        check('daemon:   running, pid' in status and
              'firewall: %s (popauth): working' % backend in status,
              'popauth status: the daemon, the bans, the firewall\n'
              + status)

        # 2. flushed behind popauth's back: restored at the refresh
        flush_set(backend, 4)
        check(not banned(backend, '192.0.2.2'), 'the v4 set flushed')
        h.wait_until(lambda: banned(backend, '192.0.2.2'),
                     timeout=6, what='the refresh puts the ban back')
        check(connect('192.0.2.2', '192.0.2.1') == 'dropped',
              '192.0.2.2 is dropped again')

        # 3. the ban ends on time: by the kernel's timeout, with popauth
        # stopped; iptables has none, popauth removes the rule itself
        if backend != 'iptables-script':
            pa.send_signal(signal.SIGTERM)
            pa.wait(timeout=30)
            check(pa.returncode == 0, 'popauth stopped cleanly')
            check(time.time() < t_ban + BAN - 1 and
                  connect('192.0.2.2', '192.0.2.1') == 'dropped',
                  'the ban outlives popauth')
        h.wait_until(lambda: connect('192.0.2.2', '192.0.2.1') == 'open',
                     timeout=BAN + 6, what='the ban ends on time')
        check(time.time() >= t_ban + BAN - 2,
              'and not before its time (%.1f s)' % (time.time() - t_ban))
        if backend == 'iptables-script':
            check(not banned(backend, '192.0.2.2'), 'its rule is gone')
            pa.send_signal(signal.SIGTERM)
            pa.wait(timeout=30)
            check(pa.returncode == 0, 'popauth stopped cleanly')

        # 4. by hand, with the daemon stopped: in the kernel at once
        def cmd(*args):
            return sh(os.environ['POPAUTH'], '-c', conf, *args, ns=SRV)
        check('192.0.2.3 banned until' in cmd('ban', '192.0.2.3', '1m'),
              'popauth ban 192.0.2.3 1m')
        check(connect('192.0.2.3', '192.0.2.1') == 'dropped',
              'the manual ban drops 192.0.2.3 at once')
        check('192.0.2.3' in cmd('list', 'bans'), 'list bans shows it')
        check('unbanned 192.0.2.3' in cmd('unban', '192.0.2.3'),
              'popauth unban 192.0.2.3')
        check(connect('192.0.2.3', '192.0.2.1') == 'open',
              'and it connects again')

        # 5. someone else's rules are as they were
        other = sh('nft', 'list', 'table', 'inet', 'other', ns=SRV)
        check('tcp dport 9 drop' in other, 'inet other untouched')
        if backend != 'nftables':
            rules = sh('iptables', '-w', '-S', 'INPUT', ns=SRV)
            mine = ('--match-set popauth4 src -j DROP' if backend == 'ipset'
                    else '-A INPUT -j popauth')
            check('--dport 7 -j DROP' in rules and rules.count(mine) == 1,
                  "someone else's iptables rule kept, popauth's once")

        # 6. a reload moves the bans: in the new place, the old gone
        pa = subprocess.Popen(['ip', 'netns', 'exec', SRV,
                               os.environ['POPAUTH'], '-c', conf, 'run'],
                              stdout=err, stderr=err)
        procs.append(pa)
        h.wait_until(lambda: 'running' in sh(
            os.environ['POPAUTH'], '-c', conf, 'status', ns=SRV, ok=False),
            timeout=10, what='popauth running again')
        cmd('ban', '192.0.2.3', '10m')
        h.wait_until(lambda: banned(backend, '192.0.2.3'), timeout=5,
                     what='the ban in %s' % backend)
        nb, nt = move_to
        with open(conf) as f:
            text = f.read().replace('firewall = %s\n' % backend,
                                    'firewall = %s\nfirewall_table = %s\n'
                                    % (nb, nt))
        with open(conf, 'w') as f:
            f.write(text)
        pa.send_signal(signal.SIGHUP)
        h.wait_until(lambda: banned(nb, '192.0.2.3', nt) and
                     leftovers(backend) == '', timeout=10,
                     what='the ban moved from %s to %s (%s); left: %s'
                     % (backend, nb, nt, leftovers(backend)))
        check(connect('192.0.2.3', '192.0.2.1') == 'dropped',
              'a reload moved the ban to %s (%s), and removed popauth\'s '
              'old %s objects' % (nb, nt, backend))
        pa.send_signal(signal.SIGTERM)
        pa.wait(timeout=30)
        other = sh('nft', 'list', 'table', 'inet', 'other', ns=SRV)
        check('tcp dport 9 drop' in other and (
            backend == 'nftables' or '--dport 7 -j DROP' in
            sh('iptables', '-w', '-S', 'INPUT', ns=SRV)),
            "someone else's rules survive the move")

        # 7. (nftables) a move to a place that does not work (ipset, with
        # no ipset on popauth's PATH): popauth's table stays in force
        if backend == 'nftables':
            conf7 = os.path.join(work, 'popauth7.conf')
            with open(conf7, 'w') as f:
                f.write(text.replace('firewall_table = %s\n' % nt,
                                     'firewall_table = popauth\n')
                        .replace('firewall = %s\n' % nb,
                                 'firewall = nftables\n')
                        + 'postconf_path = %s\npostmap_path = %s\n'
                        % (shutil.which('postconf'), shutil.which('postmap')))
            pa = subprocess.Popen(['ip', 'netns', 'exec', SRV, 'env',
                                   'PATH=/nonexistent', os.environ['POPAUTH'],
                                   '-c', conf7, 'run'], stdout=err, stderr=err)
            procs.append(pa)
            h.wait_until(lambda: banned('nftables', '192.0.2.3'), timeout=10,
                         what='the ban in nftables again')
            with open(conf7) as f:
                t7 = f.read()
            with open(conf7, 'w') as f:
                f.write(t7.replace('firewall = nftables\n',
                                   'firewall = ipset\n'))
            pa.send_signal(signal.SIGHUP)
            h.wait_until(lambda: 'the new firewall does not work yet' in
                         open(err_path).read(), timeout=10,
                         what='the failed move reported')
            check(banned('nftables', '192.0.2.3') and
                  connect('192.0.2.3', '192.0.2.1') == 'dropped',
                  'a move to a firewall that fails keeps the old table in '
                  'force')
            # its retry still pending at the stop: a clean exit
            pa.send_signal(signal.SIGTERM)
            pa.wait(timeout=30)
            check(pa.returncode == 0, 'popauth stopped cleanly with its '
                  'firewall failing')
    except BaseException:
        with open(err_path) as f:
            sys.stderr.write(f.read()[-3000:])
        raise
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in (SRV, CLI):
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)


def main():
    h.require_root()
    for tool in ('ip', 'nft', 'postmap'):
        if shutil.which(tool) is None:
            print('e2e: SKIP: %s is not installed' % tool)
            sys.exit(h.SKIP)
    host_tables = sh('nft', 'list', 'tables')
    # a machine that cannot make network namespaces, or has no nf_tables,
    # cannot run this test at all: skipped, saying why
    probe = subprocess.run(['unshare', '-n', 'nft', 'add', 'table', 'inet',
                            'probe'], capture_output=True, text=True)
    if probe.returncode != 0:
        print('e2e: SKIP: no network namespace with nftables here: %s'
              % probe.stderr.strip())
        sys.exit(h.SKIP)
    backends = ['nftables']
    if shutil.which('ipset') and shutil.which('iptables'):
        backends += ['ipset', 'iptables-script']
        host_sets = sh('ipset', 'list', '-n')
    else:
        h.note('ipset or iptables missing: the ipset backend is not run')
    for i, backend in enumerate(backends):
        work = tempfile.mkdtemp(prefix='popauth-fw-')
        # the reload at the end moves the bans to the next backend, or
        # (nftables alone) to another table
        move_to = ((backends[(i + 1) % len(backends)], 'popauth')
                   if len(backends) > 1 else ('nftables', 'moved'))
        try:
            scenario(backend, work, move_to)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    check(sh('nft', 'list', 'tables') == host_tables,
          "the host's ruleset is as it was")
    if 'ipset' in backends:
        check(sh('ipset', 'list', '-n') == host_sets,
              "the host's ipsets are as they were")


if __name__ == '__main__':
    main()
