#!/usr/bin/python3
"""test_daemon - `popauth run' as a black box: inputs, restarts, signals.

DESCRIPTION
    No mail servers: log lines are written by the test (stamped with the
    current time), the relay map is built with the real postmap(1).
      fifo      a writer that writes, closes, reopens and writes again:
                every line is processed, including a final line without a
                newline; no busy loop while no writer is connected
      badinput  binary garbage, a 1 MB line, an unknown month, invalid IPs,
                a truncated line, NUL bytes: skipped and counted, the daemon
                keeps running and later lines still work
      restart   kill -9 at two moments, lines appended and the log rotated
                (rename) while popauth is down: after the restart every
                line counted exactly once (login counts), none missed
      lock      a second daemon on the same state directory is refused
      corrupt   a state file that is not popauth's is refused, unchanged
      signals   HUP reloads (a bad config is reported and the old one
                kept); TERM, INT, QUIT end cleanly (PID file removed)
      control   ban, unban, forget and status through the control socket
                while the daemon runs (live state, exit status, errors),
                on the state directly when it does not; arguments and
                commands the socket cannot carry refused by the client
      control_peers  who may connect: mode, peer credentials, the
                control group as primary or supplementary group
      control_reload  connections on a moved control socket are closed;
                another process's socket is not taken
      control_emfile  out of file descriptors: no busy loop, answers
                again after

SAFETY
    Temp directories only; every popauth started is stopped by pid.
"""

import hashlib
import os
import re
import resource
import shutil
import signal
import socket
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


def stamp():
    return time.strftime('%b %e %H:%M:%S')


def login(ip, user='alice'):
    return ('%s mail dovecot: pop3-login: Login: user=<%s>, method=PLAIN, '
            'rip=%s, lip=192.0.2.1, mpid=1, TLS, session=<x>\n'
            % (stamp(), user, ip))


STARTED = []  # every Daemon, so a failed test still stops its popauth


class Daemon:
    """One `popauth run` in its own temp dir, stopped by pid."""

    def __init__(self, work, sources, extra=''):
        STARTED.append(self)
        self.work = work
        self.conf = os.path.join(work, 'popauth.conf')
        self.pid_file = os.path.join(work, 'state', 'popauth.pid')
        self.map = os.path.join(work, 'relay')
        with open(self.conf, 'w') as f:
            f.write('log_sources = %s\nstate_directory = %s/state\n'
                    'relay_map = lmdb:%s\nblacklist_map = lmdb:%s/blacklist\n'
                    'log_destination = stderr\n'
                    'myhostname = test.example\nmap_rebuild_delay = 0\n'
                    # the host's firewall and mail are not the tests' to
                    # use
                    'firewall = none\nalert_threshold = 0\n%s'
                    % (sources, work, self.map, work, extra))
        self.err = os.path.join(work, 'stderr')
        self.proc = None

    def start(self, wait=True):
        errf = open(self.err, 'ab')
        self.proc = subprocess.Popen([POPAUTH, '-c', self.conf, 'run'],
                                     stdin=subprocess.DEVNULL, stdout=errf,
                                     stderr=errf, start_new_session=True)
        errf.close()
        if wait:
            # ready: its log sources are open (after the PID file)
            h.wait_until(lambda: self.proc.poll() is not None or
                         re.search(r'popauth\[%d\]: info: popauth \S+ started'
                                   % self.proc.pid, self.stderr()),
                         timeout=10, what='popauth started')
            check(self.proc.poll() is None, 'popauth started (pid %d)' % self.proc.pid)
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError('popauth ignored signal %d' % sig)
        return self.proc.returncode

    def stderr(self):
        with open(self.err, errors='replace') as f:
            return f.read()

    def keys(self):
        try:
            with open(self.map) as f:
                return set(l.split()[0] for l in f if l.strip())
        except FileNotFoundError:
            return set()

    def list_relays(self):
        return subprocess.run([POPAUTH, '-c', self.conf, 'list', 'relays'],
                              capture_output=True, text=True,
                              check=True).stdout

    def cpu_seconds(self):
        with open('/proc/%d/stat' % self.proc.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def test_fifo(work):
    fifo = os.path.join(work, 'fifo')
    d = Daemon(work, 'fifo:' + fifo).start()
    try:
        check(os.stat(fifo).st_mode & 0o777 == 0o600, 'FIFO created mode 0600')
        # idle with no writer at all: no busy loop
        c0 = d.cpu_seconds()
        time.sleep(1.0)
        check(d.cpu_seconds() - c0 < 0.1, 'no busy loop before any writer')
        want = set()
        for session in range(3):
            with open(fifo, 'w') as w:
                for i in range(1, 41):
                    ip = '10.%d.0.%d' % (session, i)
                    want.add(ip)
                    w.write(login(ip))
                if session == 2:
                    w.write(login('10.9.9.9').rstrip('\n'))  # no newline
                    want.add('10.9.9.9')
        h.wait_until(lambda: d.keys() == want, timeout=10,
                     what='all %d IPs in the map' % len(want))
        check(True, 'all %d lines of 3 writer sessions processed' % len(want))
        # the writer is gone: still no busy loop
        c0 = d.cpu_seconds()
        time.sleep(1.0)
        check(d.cpu_seconds() - c0 < 0.1, 'no busy loop after the writer left')
    finally:
        check(d.stop() == 0, 'clean exit')


def test_badinput(work):
    fifo = os.path.join(work, 'fifo')
    d = Daemon(work, 'fifo:' + fifo).start()
    try:
        with open(fifo, 'wb') as w:
            w.write(os.urandom(20000) + b'\n')
            w.write(b'x' * (1024 * 1024) + b'\n')
            w.write(b'Foo 26 10:00:00 mail dovecot: pop3-login: Login: '
                    b'user=<a>, method=PLAIN, rip=10.1.1.1, lip=1.1.1.1\n')
            w.write(login('999.1.1.1').encode())
            w.write(login('10.2.2.2; rm -rf /').encode())
            w.write(login('10.3.3.3')[:60].encode() + b'\n')
            w.write(b'\0\0\0' + login('10.4.4.4').encode())
            w.write(login('10.5.5.5').replace('rip=10', 'r\0ip=10').encode())
            w.write(login('10.8.8.8').encode())
        h.wait_until(lambda: '10.8.8.8' in d.keys(), timeout=10,
                     what='the good line after the bad ones')
        check(d.keys() == {'10.8.8.8'}, 'only the good line granted relay')
        check(d.proc.poll() is None, 'the daemon keeps running')
        err = d.stderr()
        check(re.search(r'line of \d+ bytes skipped|too long', err),
              'the 1 MB line is reported')
        check('not a log line' in err, 'garbage is reported')
    finally:
        check(d.stop() == 0, 'clean exit')


def counts(d):
    """user -> login count on 10.7.0.1, from `list relays`"""
    out = {}
    for line in d.list_relays().splitlines():
        f = line.split()
        if f and f[0] == '10.7.0.1':
            out[f[-1]] = int(f[-2])
    return out


def test_restart(work):
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()
    d = Daemon(work, 'file:' + log).start()
    n = 0

    def add(k):
        nonlocal n
        with open(log, 'a') as f:
            for _ in range(k):
                n += 1
                f.write(login('10.7.0.1', 'u%d' % n))

    # a) killed right after processing, before the commit
    add(10)
    h.wait_until(lambda: 'u10 has' in d.stderr(), timeout=10, what='u10')
    d.stop(signal.SIGKILL)
    add(10)
    d.start()
    h.wait_until(lambda: len(counts(d)) == 20, timeout=10, what='20 users')
    # b) killed after the commit, with a rotation while it is down
    time.sleep(1.5)
    d.stop(signal.SIGKILL)
    add(5)
    os.rename(log, log + '.1')
    add(7)  # the new file
    d.start()
    h.wait_until(lambda: len(counts(d)) == 32, timeout=10, what='32 users')
    time.sleep(1.5)
    c = counts(d)
    check(sorted(c) == sorted('u%d' % i for i in range(1, 33)),
          'no line skipped over two kill -9 restarts and a rotation')
    check(set(c.values()) == {1}, 'no line processed twice (every count is 1)')
    check(d.stop() == 0, 'clean exit')


def test_lock(work):
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()
    d = Daemon(work, 'file:' + log).start()
    try:
        r = subprocess.run([POPAUTH, '-c', d.conf, 'run'], capture_output=True,
                           text=True, timeout=10)
        check(r.returncode == 1, 'a second daemon exits with status 1')
        check('in use by another popauth (pid %d)' % d.proc.pid in r.stderr,
              'it names the running one')
        r = subprocess.run([POPAUTH, '-c', d.conf, 'replay', log],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode == 1 and 'in use' in r.stderr,
              'replay is refused while the daemon runs')
    finally:
        check(d.stop() == 0, 'clean exit')
    check(not os.path.exists(d.pid_file), 'PID file removed')


def test_corrupt(work):
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()
    os.makedirs(os.path.join(work, 'state'))
    db = os.path.join(work, 'state', 'popauth.db')
    with open(db, 'wb') as f:
        f.write(b'precious data that is not a database\n' * 100)
    before = hashlib.sha256(open(db, 'rb').read()).hexdigest()
    d = Daemon(work, 'file:' + log).start(wait=False)
    d.proc.wait(10)
    check(d.proc.returncode == 1, 'popauth refuses to start')
    check('not an SQLite database' in d.stderr() and db in d.stderr(),
          'the error names the file and why')
    check(hashlib.sha256(open(db, 'rb').read()).hexdigest() == before,
          'the file is unchanged')


def test_signals(work):
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()
    d = Daemon(work, 'file:' + log).start()
    cur = h.LogCursor(d.err, 0)
    with open(d.conf, 'a') as f:
        f.write('relay_lease = 1h\n')
    d.proc.send_signal(signal.SIGHUP)
    cur.wait('configuration reloaded')
    with open(d.conf, 'a') as f:
        f.write('relay_lease = soon\n')
    d.proc.send_signal(signal.SIGHUP)
    cur.wait(r'reload failed, keeping the old configuration: .*popauth\.conf:\d+: '
             r'relay_lease: "soon" is not a duration')
    with open(log, 'a') as f:
        f.write(login('10.6.0.1'))
    h.wait_until(lambda: '10.6.0.1' in d.keys(), timeout=10, what='grant')
    check(re.search(r'10\.6\.0\.1.*relay allowed until', d.stderr()),
          'still working after a bad reload')
    check(d.stop(signal.SIGTERM) == 0, 'SIGTERM: exit status 0')
    check(not os.path.exists(d.pid_file), 'SIGTERM: PID file removed')
    for sig in (signal.SIGINT, signal.SIGQUIT):
        with open(d.conf, 'a') as f:
            f.write('relay_lease = 30m\n')
        d.start()
        check(d.stop(sig) == 0, '%s: exit status 0' % sig.name)
        check(not os.path.exists(d.pid_file), '%s: PID file removed' % sig.name)
    check(d.stderr().count('popauth is terminating') == 3, 'each exit logged')


def test_control(work):
    """while the daemon runs, ban/unban/forget/status go through its
    control socket and act on the live state at once"""
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()
    d = Daemon(work, 'file:' + log).start()

    def cli(*args, ok=True):
        r = subprocess.run([POPAUTH, '-c', d.conf] + list(args),
                           capture_output=True, text=True, timeout=30)
        if ok and r.returncode != 0:
            raise AssertionError('%s: %d %s' % (args, r.returncode, r.stderr))
        return r
    ctl = os.path.join(work, 'state', 'popauth.ctl')
    check(os.path.exists(ctl) and
          (os.stat(ctl).st_mode & 0o777) == 0o600,
          'the control socket, mode 0600')
    with open(log, 'a') as f:
        f.write(login('10.7.0.1'))
    h.wait_until(lambda: '10.7.0.1' in d.keys(), timeout=10, what='grant')
    r = cli('ban', '203.0.113.50', '1h')
    check('203.0.113.50 banned until' in r.stdout and
          'not running' not in r.stderr, 'ban through the daemon')
    h.wait_until(lambda: re.search(
        r'info: 203\.0\.113\.50 has been blacklisted .*banned for 1h',
        d.stderr()), timeout=10, what='the ban in the daemon\'s log')
    r = cli('ban', '10.7.0.1')
    check('protected (relay lease)' in r.stderr,
          "a leased IP: banned with the daemon's warning")
    st = cli('status').stdout
    check(re.search(r'daemon:   running, pid \d+, up ', st) and
          re.search(r'source:   file:\S+: 1 line\(s\), at byte \d+', st)
          and 'login 1' in st and
          '1 relay lease(s), 2 listed, 2 banned now' in st and
          'firewall: none' in st, 'live status\n' + st)
    # list and show ask the daemon too: its live state, at once
    check(re.search(r'^203\.0\.113\.50 .* manual +banned by the admin$',
                    cli('list', 'bans').stdout, re.M),
          'list bans from the live state')
    check('banned until' in cli('show', '203.0.113.50').stdout and
          'relay lease until' in cli('show', '10.7.0.1').stdout,
          'show from the live state')
    r = cli('list', 'nonsense', ok=False)
    check(r.returncode == 2, 'list of something unknown: exit 2')
    r = cli('unban', '203.0.113.50')
    check('unbanned 203.0.113.50' in r.stdout, 'unban through the daemon')
    r = cli('forget', '203.0.113.50')
    check('forgot 203.0.113.50' in r.stdout, 'forget through the daemon')
    r = cli('forget', '203.0.113.50', ok=False)
    check(r.returncode == 1 and 'nothing known' in r.stdout,
          'the exit status comes through')
    r = cli('ban', 'not-an-ip', ok=False)
    check(r.returncode == 2 and 'not an IP address' in r.stderr,
          'a bad argument: the daemon says so, exit 2')
    # the request is words joined by spaces: an argument that would
    # change the words is refused by the client, nothing is sent
    cur = h.LogCursor(d.err)
    for bad in ('203.0.113.52 1h', '203.0.113.52\nforget', '',
                '203.0.113.52\t', '1h\x1b[2J'):
        r = cli('ban', bad, ok=False)
        check(r.returncode == 2 and 'an argument cannot be empty or hold '
              'spaces or control characters' in r.stderr and
              'does not answer' not in r.stderr and r.stdout == '',
              'an argument with %r: refused by the client, exit 2: %r'
              % (bad, r.stderr))
    # too long for the socket: said by the client
    r = cli('unban', *['203.0.113.%d' % (i % 250) for i in range(400)],
            ok=False)
    check(r.returncode == 2 and 'the command is too long' in r.stderr and
          'does not answer' not in r.stderr,
          'a command longer than the socket takes: the client says so')
    # 64 words at most: more is refused, not cut
    r = cli('unban', *['203.0.113.%d' % i for i in range(1, 65)], ok=False)
    check(r.returncode == 2 and 'more than 64 words' in r.stderr and
          r.stdout == '', 'more than 64 words: refused, exit 2: %r'
          % r.stderr)
    r = cli('unban', *['203.0.113.%d' % i for i in range(1, 64)], ok=False)
    check(r.returncode == 1 and r.stdout.count(': not banned') == 63,
          '64 words: all run')
    check(not cur.find(r'control socket: ban 203\.0\.113\.52'),
          'nothing of the refused arguments reached the daemon')
    check(d.stop(signal.SIGTERM) == 0, 'stopped')
    check(not os.path.exists(ctl), 'the socket goes with the daemon')
    r = cli('ban', '203.0.113.51', '1m')
    check('the daemon is not running' in r.stderr and
          'banned until' in r.stdout, 'without the daemon: on the state')


AS_NOBODY = r'''
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print('connect: %s' % e.strerror)
    sys.exit(0)
try:
    s.sendall(b'status\n')
    print(s.recv(4096).decode() or 'closed without an answer')
except OSError:  # reset, or a broken pipe: closed by the daemon
    print('closed without an answer')
'''


def test_control_peers(work):
    """who may use the control socket: root and the daemon's user; with
    control_group, that group too (peer credentials, not only the mode)"""
    if os.geteuid() != 0 or shutil.which('setpriv') is None:
        h.note('not root or no setpriv: skipped')
        return
    os.chmod(work, 0o711)
    pub = os.path.join(work, 'pub')
    os.mkdir(pub, 0o755)
    ctl = os.path.join(pub, 'popauth.ctl')
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()

    def as_nobody(gid=65534, groups=None):
        return subprocess.run(
            ['setpriv', '--reuid=65534', '--regid=%d' % gid] +
            (['--groups=' + groups] if groups else ['--clear-groups']) +
            ['/usr/bin/python3', '-c', AS_NOBODY, ctl],
            capture_output=True, text=True, timeout=30).stdout
    d = Daemon(work, 'file:' + log, 'control_socket = %s\n' % ctl).start()
    check('connect: Permission denied' in as_nobody(),
          'mode 0600: nobody cannot connect')
    os.chmod(ctl, 0o666)
    check('closed without an answer' in as_nobody(),
          'made reachable by hand: the daemon still refuses nobody')
    cur = h.LogCursor(d.err, 0)
    cur.wait(r'control socket: uid 65534 refused')
    # control_group set by a reload: the socket made again, the group's
    with open(d.conf, 'a') as f:
        f.write('control_group = nogroup\n')
    d.proc.send_signal(signal.SIGHUP)
    cur.wait('configuration reloaded')
    st = os.stat(ctl)
    check((st.st_mode & 0o777) == 0o660 and st.st_gid == 65534,
          'control_group by a reload: the socket is the group\'s, 0660')
    out = as_nobody()
    check(out.startswith('0\ndaemon:   running'),
          'a member of control_group is answered: %r' % out[:200])
    # the group as a supplementary one (another primary group) will do
    out = as_nobody(gid=54321, groups='4321,65534')
    check(out.startswith('0\ndaemon:   running'),
          'control_group as a supplementary group is answered: %r'
          % out[:200])
    many = ','.join(str(g) for g in range(5000, 5100))
    out = as_nobody(gid=54321, groups=many + ',65534')
    check(out.startswith('0\ndaemon:   running'),
          'control_group among 101 supplementary groups is answered: %r'
          % out[:200])
    check('connect: Permission denied' in as_nobody(gid=54321),
          'neither primary nor supplementary: the mode keeps it out')
    os.chmod(ctl, 0o666)
    out = as_nobody(gid=54321, groups='4321')
    check('closed without an answer' in out,
          'not in control_group, the socket reachable: refused: %r' % out)
    cur.wait(r'control socket: uid 65534 refused')
    os.chmod(ctl, 0o660)
    # a group that does not exist: said, and the socket stays as it was
    with open(d.conf, 'a') as f:
        f.write('control_group = no_such_group_here\n')
    d.proc.send_signal(signal.SIGHUP)
    cur.wait(r'reload failed, keeping the old configuration: .*: '
             r'control_group: no such group: no_such_group_here')
    check(as_nobody().startswith('0\ndaemon:   running'),
          'after a bad control_group the socket is as it was')
    check(d.stop(signal.SIGTERM) == 0, 'stopped')
    check(not os.path.exists(ctl), 'the socket goes with the daemon')


def ctl_connect(path):
    """a raw connection to a control socket"""
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(10)
    c.connect(path)
    return c


def ctl_closed(c):
    """has the daemon closed c (without an answer)?"""
    try:
        c.sendall(b'tus\n')
        return c.recv(4096) == b''
    except (BrokenPipeError, ConnectionResetError):
        return True


def test_control_reload(work):
    """a reload that moves the control socket closes the connections open
    on the old one (they must not outlive it); a socket another process
    listens on is not taken over"""
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()
    old = os.path.join(work, 'state', 'popauth.ctl')
    new = os.path.join(work, 'new.ctl')
    d = Daemon(work, 'file:' + log).start()
    cur = h.LogCursor(d.err, 0)
    idle = ctl_connect(old)
    half = ctl_connect(old)
    half.sendall(b'sta')  # a command half read
    time.sleep(0.3)
    with open(d.conf, 'a') as f:
        f.write('control_socket = %s\n' % new)
    d.proc.send_signal(signal.SIGHUP)
    cur.wait('configuration reloaded')
    check(ctl_closed(half), 'a half-read command on the old socket: closed')
    check(idle.recv(4096) == b'', 'an idle connection on the old socket: '
          'closed')
    idle.close()
    half.close()
    check(not os.path.exists(old) and os.path.exists(new),
          'the socket moved')
    r = subprocess.run([POPAUTH, '-c', d.conf, 'status'],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and 'daemon:   running' in r.stdout,
          'answered on the new socket')
    check(d.proc.poll() is None, 'the daemon survives its old connections')
    # another process's socket: refused, left as it is
    other = os.path.join(work, 'other.ctl')
    ls = socket.socket(socket.AF_UNIX)
    ls.bind(other)
    ls.listen(4)
    with open(d.conf, 'a') as f:
        f.write('control_socket = %s\n' % other)
    d.proc.send_signal(signal.SIGHUP)
    cur.wait(r'other\.ctl: in use by another process; the control socket '
             r'stays as it was')
    c = ctl_connect(other)
    ls.settimeout(5)
    a, _ = ls.accept()
    check(a is not None, 'the other process\'s socket is still its own')
    a.close()
    c.close()
    ls.close()
    r = subprocess.run([POPAUTH, '-c', d.conf, '-o',
                        'control_socket=%s' % new, 'status'],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and 'daemon:   running' in r.stdout,
          'still answered where it was')
    check(d.stop(signal.SIGTERM) == 0, 'stopped')


def test_control_emfile(work):
    """out of file descriptors, the daemon does not spin on the control
    socket it cannot accept from; it answers again once it can"""
    log = os.path.join(work, 'mail.log')
    open(log, 'w').close()
    d = Daemon(work, 'file:' + log).start()
    ctl = os.path.join(work, 'state', 'popauth.ctl')
    cur = h.LogCursor(d.err, 0)
    pid = d.proc.pid
    limit = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    # no descriptor left: the few free numbers below are taken by the
    # first connections
    resource.prlimit(pid, resource.RLIMIT_NOFILE,
                     (len(os.listdir('/proc/%d/fd' % pid)), limit[1]))
    conns = []
    try:
        for _ in range(16):
            conns.append(ctl_connect(ctl))
        cur.wait(r'control socket: accept: Too many open files; not '
                 r'accepting for 1000 ms')
        c0 = d.cpu_seconds()
        time.sleep(1.5)
        check(d.cpu_seconds() - c0 < 0.5,
              'no busy loop while no connection can be accepted')
    finally:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, limit)
    for c in conns:
        c.close()
    r = subprocess.run([POPAUTH, '-c', d.conf, 'status'],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and 'daemon:   running' in r.stdout,
          'answered again once descriptors are free')
    check(d.stop(signal.SIGTERM) == 0, 'stopped')


def stop_all():
    for d in STARTED:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()


def main():
    if not POPAUTH:
        sys.exit('POPAUTH is not set')
    # meson ends a test that runs over its time with SIGTERM
    signal.signal(signal.SIGTERM, lambda *_: sys.exit('terminated'))
    failed = []
    for name, fn in [('fifo', test_fifo), ('badinput', test_badinput),
                     ('restart', test_restart), ('lock', test_lock),
                     ('corrupt', test_corrupt), ('signals', test_signals),
                     ('control', test_control),
                     ('control_peers', test_control_peers),
                     ('control_reload', test_control_reload),
                     ('control_emfile', test_control_emfile)]:
        work = tempfile.mkdtemp(prefix='popauth-daemon-%s-' % name)
        h.note('--- %s (%s)' % (name, work))
        try:
            fn(work)
            shutil.rmtree(work)
        except Exception as e:  # report, keep going, keep the files
            stop_all()
            failed.append(name)
            h.note('FAILED %s: %s (kept %s)' % (name, e, work))
            try:
                with open(os.path.join(work, 'stderr')) as f:
                    h.note('popauth stderr:\n' + f.read()[-3000:])
            except OSError:
                pass
    if failed:
        h.note('failed: ' + ', '.join(failed))
        return 1
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    finally:
        stop_all()
