"""harness - real Postfix and Dovecot on loopback for popauth's end-to-end tests.

DESCRIPTION
    A Python 3 (stdlib only) library.  `Mail` starts a private Postfix 3.7 and
    a private Dovecot 2.3 inside a fresh temporary directory, with
    non-standard ports on 127.0.0.1 and ::1 chosen at run time, and stops
    them again.  Clients bind their own 127.0.0.x / ::1 source address, so
    every source address other than 127.0.0.1 is a "remote" client for
    Postfix (mynetworks = 127.0.0.1/32).  `Popauth` runs the daemon under
    test against those servers' log files and relay map.

        with Mail() as mail:                      # lmdb relay map by default
            code, text = mail.smtp_try_relay('127.0.0.5')      # 554 ...
            assert mail.pop3_login('127.0.0.5', 'alice', 'alice-secret')
            mail.dovecot_cursor(0).wait(r'pop3-login: Info: Login: user=<alice>')
            with mail.popauth() as pa:            # needs $POPAUTH
                ...

SAFETY RULES (CI runs this as root on a fresh Debian 12 machine)
    * Nothing outside the test's own temporary directory is written.  The
      default instances' files (/etc/postfix, /etc/dovecot, /var/spool/postfix,
      /var/lib/dovecot, /etc/hosts, /etc/resolv.conf) are only ever read; no
      `service`/`systemctl`.  Postfix runs as a second instance with its own
      config_directory (`postfix -c DIR start`; as root no
      alternate_config_directories entry in /etc/postfix/main.cf is needed:
      Postfix only checks that list for set-gid commands run by non-root
      users), its own queue_directory, data_directory and maillog_file.  Its
      `post-install create-missing` step (run by `postfix start`) only
      creates the missing queue/data directories of *this* instance.
      Dovecot runs as `dovecot -c OUR.conf` with its own base_dir, state_dir
      and instance_name.
    * Network only on 127.0.0.0/8 and ::1.  No DNS: smtpd_peername_lookup =
      no, smtp/lmtp DNS disabled, every transport is `discard:`, so nothing
      ever leaves the machine.
    * Every process the harness starts is stopped by its pid (Postfix:
      <queue_directory>/pid/master.pid; Dovecot: <base_dir>/master.pid;
      popauth: our own child), in __exit__, in an atexit hook and on
      SIGTERM (meson's timeout), even when a test fails.  Afterwards the
      harness looks for any process that still refers to the temp
      directory (cwd, root, exe, cmdline, environment), kills it by pid and
      reports an error.  It never kills by name.
    * The temp directory is removed when the test succeeds and kept (path
      printed) when it fails or when E2E_KEEP=1.
    * Waits use timeouts and polling (`wait_until`, `LogCursor.wait`), never
      fixed sleeps, so slow machines only make the tests slower.

ENVIRONMENT
    POPAUTH      path of the popauth binary (meson sets it)
    E2E_KEEP=1   keep the temp directory even on success
    E2E_TMPDIR   parent of the temp directory (default: the system's /tmp)
    E2E_QUIET=1  less progress output

GOTCHAS (see also /work/shared/e2e/NOTES.md)
    * smtpd etc. run with chroot = n (master.cf): a chrooted smtpd would need
      copies of /etc/resolv.conf, hosts, services... in the queue directory.
    * maillog_file needs the `postlog unix-dgram` service in master.cf and
      maillog_file_prefixes covering the temp dir; postlogd creates a missing
      log file as 0600, so the harness creates both log files 0644 first.
    * `postfix -c DIR` chdirs to queue_directory *before* anything else, so
      the harness creates that directory (root, 0755) itself; postfix start
      then creates the subdirectories.
    * The temp root is chmod 0755 (mkdtemp makes 0700): Dovecot's mail
      processes run as `nobody` and must reach <root>/mail.
    * smtplib calls socket.getfqdn() (DNS!) when no local_hostname is given:
      the client always passes one.
    * Dovecot: `info_log_path` (not info_path); `disable_plaintext_auth = no`
      because 127.0.0.x -> 127.0.0.1 is not "secured"; a failed login costs
      auth_failure_delay (2 s) plus a per-IP penalty (use a fresh source IP
      per failure); Dovecot keeps the stdio it was started with, so it is
      started with stdio on a file, never a pipe.
    * hash: maps are re-read by a running smtpd only when the file's mtime
      (whole seconds) changes: never postmap a hash map twice in one second
      (`wait_next_second()`).
"""

import atexit
import grp
import ipaddress
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

__all__ = [
    'Mail', 'Popauth', 'run_popauth', 'LogCursor', 'SmtpSession',
    'HarnessError', 'HarnessTimeout', 'PopauthError',
    'wait_until', 'wait_for_log', 'wait_next_second', 'require_root',
    'smtp_try_relay', 'pop3_login', 'pop3_login_fail', 'imap_login',
    'imap_login_fail', 'postmap', 'map_query', 'write_map', 'map_db_path',
    'format_map', 'check', 'popauth_cmd',
    'server_pid_of_client', 'note', 'SKIP',
]

SKIP = 77                       # meson's "test skipped" exit status

USERS = {'alice': 'alice-secret', 'bob': 'bob-secret'}
DEFAULT_RCPT = 'friend@remote.test'
DEFAULT_SENDER = 'someone@client.test'
DEFAULT_HELO = 'client.example'

# What `postmap TYPE:PATH` creates next to PATH.
MAP_SUFFIX = {'lmdb': '.lmdb', 'hash': '.db', 'btree': '.db', 'cdb': '.cdb'}

SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

_T0 = time.monotonic()


class HarnessError(Exception):
    """Something the harness needs is missing or broke (not a test failure)."""


class HarnessTimeout(HarnessError, TimeoutError):
    """A wait_until/wait_for_log deadline passed."""


class PopauthError(HarnessError):
    """popauth did not start, did not stop, or exited with a wrong status."""


def note(msg):
    """Progress output (stdout, with the seconds since import)."""
    if os.environ.get('E2E_QUIET') != '1':
        print('[e2e %7.2fs] %s' % (time.monotonic() - _T0, msg), flush=True)


def check(cond, msg):
    """A test's assertion: raise with msg if cond is false, else note it."""
    if not cond:
        raise AssertionError(msg)
    note('ok: ' + msg)


def popauth_cmd(conf, *args, input=None, ok=True):
    """Run `$POPAUTH -c conf args...` to its end (60 s at most); with ok,
    a non-zero exit is a failure that shows popauth's stderr."""
    r = subprocess.run([os.environ['POPAUTH'], '-c', conf] + list(args),
                       input=input, capture_output=True, text=True,
                       timeout=60)
    if ok and r.returncode != 0:
        raise AssertionError('popauth %s: %d\n%s' % (' '.join(args),
                                                     r.returncode, r.stderr))
    return r


# ---------------------------------------------------------------------------
# Waiting

def wait_until(fn, timeout=10.0, interval=0.05, what=None):
    """Call fn() until it returns a true value; return that value.

    Raises HarnessTimeout (mentioning `what`) after `timeout` seconds.
    fn is always called at least once, and once more at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessTimeout('timed out after %.1fs waiting for %s'
                                 % (timeout, what or getattr(fn, '__name__', fn)))
        time.sleep(interval)


def wait_next_second():
    """Sleep until the wall clock enters a new second (hash: mtime caveat);
    returns the new second."""
    now = time.time()
    time.sleep(int(now) + 1 - now + 0.001)
    return int(time.time())


class LogCursor:
    """Follows a growing log file from a byte offset, line by line.

    Only complete lines (ending in a newline) are returned; the offset moves
    past a line once it has been returned or skipped by wait().  If the file
    shrinks (truncated or replaced), reading restarts at offset 0."""

    def __init__(self, path, offset=None):
        self.path = path
        if offset is None:
            offset = self._size()
        self.offset = offset

    def _size(self):
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0

    def _chunk(self):
        if self._size() < self.offset:
            self.offset = 0
        try:
            with open(self.path, 'rb') as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return b''
        end = data.rfind(b'\n')
        return data[:end + 1] if end >= 0 else b''

    def read_lines(self):
        """All new complete lines (without newline); advances the cursor."""
        data = self._chunk()
        self.offset += len(data)
        return [l.decode('utf-8', 'replace') for l in data.splitlines()]

    def find(self, regex):
        """The first new line matching regex, or None; advances past the
        match (or past everything read when there is none)."""
        rx = re.compile(regex)
        data = self._chunk()
        pos = 0
        for raw in data.splitlines(keepends=True):
            pos += len(raw)
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            if rx.search(line):
                self.offset += pos
                return line
        self.offset += pos
        return None

    def wait(self, regex, timeout=10.0, interval=0.05):
        """Wait for a new line matching regex; return the line."""
        try:
            return wait_until(lambda: self.find(regex), timeout, interval,
                              what='/%s/ in %s' % (regex, self.path))
        except HarnessTimeout as e:
            raise HarnessTimeout('%s; last lines:\n%s'
                                 % (e, tail(self.path, 15))) from None

    def expect_none(self, regex, within=1.0):
        """Fail if a line matching regex shows up within `within` seconds."""
        try:
            line = self.wait(regex, within)
        except HarnessTimeout:
            return
        raise AssertionError('unexpected log line in %s: %s' % (self.path, line))


def wait_for_log(path, regex, timeout=10.0, offset=0):
    """Wait until a line matching regex appears in `path` at or after byte
    `offset`; return the line.  (For repeated waits use LogCursor.)"""
    return LogCursor(path, offset).wait(regex, timeout)


def tail(path, n=20):
    """Last n lines of a text file ('' if it does not exist)."""
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
    except FileNotFoundError:
        return '(%s does not exist)' % path
    return '\n'.join(lines[-n:])


# ---------------------------------------------------------------------------
# Processes, by pid, through /proc

def _proc_stat(pid):
    """(state, ppid, pgrp, session) of pid, or None when it is gone."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = data[data.rindex(b')') + 2:].split()
    return rest[0].decode(), int(rest[1]), int(rest[2]), int(rest[3])


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    st = _proc_stat(pid)
    return st is not None and st[0] not in ('Z', 'X')


def pid_exe(pid):
    try:
        return os.readlink('/proc/%d/exe' % pid)
    except OSError:
        return None


def all_pids():
    return [int(d) for d in os.listdir('/proc') if d.isdigit()]


def descendants(pid):
    """All live descendants of pid (children, grandchildren, ...)."""
    children = {}
    for p in all_pids():
        st = _proc_stat(p)
        if st:
            children.setdefault(st[1], []).append(p)
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return [p for p in out if pid_alive(p)]


def procs_referencing(path):
    """Live pids (other than ours) whose cwd, root, exe, command line or
    environment mentions `path`: the leftover-process detector."""
    me = os.getpid()
    needle = path.encode()
    found = []
    for p in all_pids():
        if p == me or not pid_alive(p):
            continue
        hit = False
        for link in ('cwd', 'root', 'exe'):
            try:
                target = os.readlink('/proc/%d/%s' % (p, link))
            except OSError:
                continue
            if target == path or target.startswith(path + '/'):
                hit = True
        for name in ('cmdline', 'environ'):
            if hit:
                break
            try:
                with open('/proc/%d/%s' % (p, name), 'rb') as f:
                    hit = needle in f.read()
            except OSError:
                pass
        if hit:
            found.append(p)
    return found


def describe_pid(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            cmd = f.read().replace(b'\0', b' ').decode('utf-8', 'replace').strip()
    except OSError:
        cmd = '?'
    return '%d (%s)' % (pid, cmd)


def kill_pids(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def stop_daemon(pid, name, timeout=20.0):
    """SIGTERM the daemon `pid` (it signals its own children), wait until it
    and every descendant seen before are gone; SIGKILL the rest by pid.
    Returns a list of problems (empty when the stop was clean)."""
    problems = []
    if not pid_alive(pid):
        return problems
    tree = [pid] + descendants(pid)
    kill_pids([pid], signal.SIGTERM)
    try:
        wait_until(lambda: not any(pid_alive(p) for p in tree), timeout, 0.05,
                   what='%s (pid %d) to exit' % (name, pid))
    except HarnessTimeout:
        left = [p for p in tree if pid_alive(p)]
        problems.append('%s: still running %.0fs after SIGTERM, SIGKILLed: %s'
                        % (name, timeout, ', '.join(map(describe_pid, left))))
        kill_pids(left, signal.SIGKILL)
        wait_until(lambda: not any(pid_alive(p) for p in left), 5.0, 0.05,
                   what='SIGKILLed %s processes' % name)
    return problems


# ---------------------------------------------------------------------------
# Sockets, through /proc/net

def _parse_proc_addr(text):
    """'0100007F:0019' or a 32-hex-digit IPv6 form -> (ip string, port)."""
    host, port = text.split(':')
    raw = bytes.fromhex(host)
    # /proc/net/tcp{,6} prints each 32-bit word in host (little-endian) order
    raw = b''.join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(raw)), int(port, 16)


def _tcp_table(v6):
    path = '/proc/net/tcp6' if v6 else '/proc/net/tcp'
    with open(path) as f:
        next(f)
        for line in f:
            fld = line.split()
            yield (_parse_proc_addr(fld[1]), _parse_proc_addr(fld[2]),
                   fld[3], int(fld[9]))


def _norm_ip(ip):
    return str(ipaddress.ip_address(ip))


def is_listening(ip, port):
    """True when a TCP socket listens on exactly (ip, port)."""
    ip = _norm_ip(ip)
    return any(local == (ip, port) and state == '0A'
               for local, _, state, _ in _tcp_table(':' in ip))


def server_pid_of_client(sock):
    """The pid of the process holding the server side of the connected
    client socket `sock` (e.g. which smtpd serves this SMTP session), or None
    while the server has not accept()ed it yet."""
    lip, lport = sock.getsockname()[:2]
    rip, rport = sock.getpeername()[:2]
    want_local, want_rem = (_norm_ip(rip), rport), (_norm_ip(lip), lport)
    inode = None
    for local, rem, _, ino in _tcp_table(':' in rip):
        if local == want_local and rem == want_rem and ino:
            inode = ino
            break
    if inode is None:
        return None
    target = 'socket:[%d]' % inode
    for p in all_pids():
        try:
            fds = os.listdir('/proc/%d/fd' % p)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink('/proc/%d/fd/%s' % (p, fd)) == target:
                    return p
            except OSError:
                pass
    return None


def pick_ports(n, ipv6=True):
    """n distinct TCP ports that are free on 127.0.0.1 (and ::1).

    The sockets stay bound until all n are picked, so the ports differ; a
    small window remains between here and the servers binding them."""
    held, ports = [], []
    try:
        while len(ports) < n:
            s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s4.bind(('127.0.0.1', 0))
            port = s4.getsockname()[1]
            held.append(s4)
            if ipv6:
                s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
                s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                try:
                    s6.bind(('::1', port))
                except OSError:
                    s6.close()
                    continue
                held.append(s6)
            ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(('::1', 0))
        return True
    except OSError:
        return False


def _dst_for(src_ip):
    """The server address a client with source src_ip talks to."""
    return '::1' if ':' in src_ip else '127.0.0.1'


# ---------------------------------------------------------------------------
# Postfix lookup tables

def map_db_path(map_type, path):
    """The file `postmap TYPE:PATH` builds (PATH.lmdb, PATH.db, PATH.cdb)."""
    try:
        return path + MAP_SUFFIX[map_type]
    except KeyError:
        raise HarnessError('unknown indexed map type %r' % map_type) from None


def format_map(entries):
    """Map text from a dict, an iterable of (key, value) pairs, or a str."""
    if isinstance(entries, str):
        return entries if entries.endswith('\n') or not entries else entries + '\n'
    if isinstance(entries, dict):
        entries = entries.items()
    return ''.join('%s\t%s\n' % (k, v) for k, v in entries)


def map_query(map_type, path, key):
    """`postmap -q KEY TYPE:PATH`: the value smtpd would find for KEY in the
    indexed map, or None.  The text file alone does not tell: popauth
    renames it into place before postmap builds the indexed file."""
    r = subprocess.run(['postmap', '-q', key, '%s:%s' % (map_type, path)],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, env=_tool_env(), timeout=60)
    return r.stdout.rstrip('\n') if r.returncode == 0 else None


def postmap(map_type, path, config_dir=None, args=()):
    """Run `postmap [-c config_dir] [args] TYPE:PATH` as root; return the
    seconds it took.  Raises HarnessError with postmap's stderr on failure."""
    cmd = ['postmap']
    if config_dir:
        cmd += ['-c', config_dir]
    cmd += list(args) + ['%s:%s' % (map_type, path)]
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, env=_tool_env(), timeout=60)
    elapsed = time.monotonic() - t0
    if r.returncode != 0:
        raise HarnessError('%s failed (%d): %s' % (' '.join(cmd), r.returncode,
                                                 r.stderr.strip()))
    return elapsed


def write_map(path, entries, map_type='lmdb', method='inplace', config_dir=None):
    """Replace the content of the map PATH (text + indexed file).

    method 'inplace': rewrite the text file, then `postmap TYPE:PATH` (which
        rewrites PATH.lmdb / PATH.db in place: same inode; cdb is the
        exception, its postmap always builds a new file and renames it).
    method 'rename':  write PATH.new, `postmap TYPE:PATH.new`, then rename
        PATH.new.<ext> over PATH.<ext> and PATH.new over PATH.
    Returns the seconds taken."""
    text = format_map(entries)
    t0 = time.monotonic()
    if method == 'inplace':
        with open(path, 'w') as f:
            f.write(text)
        postmap(map_type, path, config_dir)
    elif method == 'rename':
        tmp = path + '.new'
        with open(tmp, 'w') as f:
            f.write(text)
        postmap(map_type, tmp, config_dir)
        os.rename(map_db_path(map_type, tmp), map_db_path(map_type, path))
        os.rename(tmp, path)
    else:
        raise HarnessError('unknown map update method %r' % method)
    return time.monotonic() - t0


def _tool_env():
    """Environment for the Postfix/Dovecot commands the harness runs."""
    env = {'PATH': SBIN_PATH, 'LANG': 'C', 'LC_ALL': 'C'}
    if 'TZ' in os.environ:
        env['TZ'] = os.environ['TZ']
    return env


# ---------------------------------------------------------------------------
# Clients.  Every client binds its source address; the server address is
# 127.0.0.1, or ::1 for an IPv6 source.

class SmtpSession:
    """One SMTP connection from src_ip: banner and EHLO on creation.

    try_relay() may be called repeatedly in the same connection (RSET in
    between), which is how a test sees what an already-running smtpd does.
    server_pid() says which smtpd process serves the connection."""

    def __init__(self, src_ip, port, dst_ip=None, helo=DEFAULT_HELO, timeout=30):
        self.src_ip = src_ip
        self.in_transaction = False
        # local_hostname given: smtplib would otherwise ask DNS (getfqdn)
        self.smtp = smtplib.SMTP(local_hostname=helo, timeout=timeout,
                                 source_address=(src_ip, 0))
        try:
            code, msg = self.smtp.connect(dst_ip or _dst_for(src_ip), port)
            self.banner = (code, msg.decode('utf-8', 'replace'))
            if code != 220:
                raise HarnessError('SMTP banner from port %d: %r' % (port, self.banner))
            code, msg = self.smtp.ehlo()
            self.ehlo = (code, msg.decode('utf-8', 'replace'))
        except BaseException:
            self.smtp.close()
            raise

    def command(self, line):
        """Send a raw command; return (code, text)."""
        code, msg = self.smtp.docmd(line)
        return code, msg.decode('utf-8', 'replace')

    def try_relay(self, rcpt=DEFAULT_RCPT, sender=DEFAULT_SENDER):
        """MAIL FROM + RCPT TO; returns the RCPT reply (code, text), or the
        MAIL reply if MAIL was refused."""
        if self.in_transaction:
            self.smtp.rset()
        self.in_transaction = True
        code, msg = self.smtp.mail(sender)
        if code != 250:
            return code, msg.decode('utf-8', 'replace')
        code, msg = self.smtp.rcpt(rcpt)
        return code, msg.decode('utf-8', 'replace')

    def server_pid(self):
        return server_pid_of_client(self.smtp.sock)

    def close(self):
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def smtp_try_relay(src_ip, port, rcpt=DEFAULT_RCPT, sender=DEFAULT_SENDER,
                   helo=DEFAULT_HELO, dst_ip=None, timeout=30):
    """EHLO, MAIL, RCPT, QUIT from src_ip; returns the RCPT reply (code, text)."""
    with SmtpSession(src_ip, port, dst_ip, helo, timeout) as s:
        return s.try_relay(rcpt, sender)


class _LineClient:
    """Tiny CRLF line protocol client with a transcript (POP3, IMAP)."""

    def __init__(self, src_ip, port, dst_ip=None, timeout=60):
        self.sock = socket.create_connection((dst_ip or _dst_for(src_ip), port),
                                             timeout, source_address=(src_ip, 0))
        self.rfile = self.sock.makefile('rb')
        self.transcript = []

    def readline(self):
        raw = self.rfile.readline(65536)
        if not raw:
            raise HarnessError('connection closed by server; transcript:\n'
                               + '\n'.join(self.transcript))
        line = raw.decode('utf-8', 'replace').rstrip('\r\n')
        self.transcript.append('S: ' + line)
        return line

    def send(self, line, shown=None):
        self.transcript.append('C: ' + (shown or line))
        self.sock.sendall(line.encode() + b'\r\n')

    def close(self):
        try:
            self.rfile.close()
        finally:
            self.sock.close()


def _pop3(src_ip, port, user, password, attempts, quit, dst_ip, timeout):
    """POP3 USER/PASS `attempts` times (stops at the first success); returns
    (logged_in, transcript)."""
    c = _LineClient(src_ip, port, dst_ip, timeout)
    try:
        greet = c.readline()
        if not greet.startswith('+OK'):
            raise HarnessError('POP3 greeting: %r' % greet)
        ok = False
        for _ in range(attempts):
            c.send('USER ' + user)
            if not c.readline().startswith('+OK'):
                continue
            c.send('PASS ' + password, 'PASS <secret>')
            if c.readline().startswith('+OK'):
                ok = True
                break
        if quit:
            c.send('QUIT')
            c.readline()
        return ok, c.transcript
    finally:
        c.close()


def _imap_quote(s):
    return '"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')


def _imap_tagged(c, tag):
    while True:
        line = c.readline()
        if line.startswith(tag + ' '):
            return line[len(tag) + 1:]


def _imap(src_ip, port, user, password, attempts, quit, dst_ip, timeout):
    """IMAP LOGIN `attempts` times (stops at the first success); returns
    (logged_in, transcript)."""
    c = _LineClient(src_ip, port, dst_ip, timeout)
    try:
        greet = c.readline()
        if not greet.startswith('* OK'):
            raise HarnessError('IMAP greeting: %r' % greet)
        ok = False
        for n in range(attempts):
            tag = 'a%d' % (n + 1)
            c.send('%s LOGIN %s %s' % (tag, _imap_quote(user), _imap_quote(password)),
                   '%s LOGIN %s <secret>' % (tag, _imap_quote(user)))
            if _imap_tagged(c, tag).startswith('OK'):
                ok = True
                break
        if quit:
            c.send('z LOGOUT')
            _imap_tagged(c, 'z')
        return ok, c.transcript
    finally:
        c.close()


def pop3_login(src_ip, port, user, password, dst_ip=None, timeout=60):
    """POP3 USER/PASS then QUIT; True when the login succeeded."""
    return _pop3(src_ip, port, user, password, 1, True, dst_ip, timeout)[0]


def pop3_login_fail(src_ip, port, user='alice', password='wrong-password',
                    attempts=1, quit=True, dst_ip=None, timeout=90):
    """`attempts` failing POP3 logins in one connection, then QUIT (Dovecot
    logs "Aborted login by logging out") or, with quit=False, a dropped
    connection ("Connection closed").  True when every attempt was refused.
    Each failure takes Dovecot's auth_failure_delay (2 s), more for an IP
    that already failed: use a fresh source IP per failure."""
    return not _pop3(src_ip, port, user, password, attempts, quit, dst_ip, timeout)[0]


def imap_login(src_ip, port, user, password, dst_ip=None, timeout=60):
    """IMAP LOGIN then LOGOUT; True when the login succeeded."""
    return _imap(src_ip, port, user, password, 1, True, dst_ip, timeout)[0]


def imap_login_fail(src_ip, port, user='alice', password='wrong-password',
                    attempts=1, quit=True, dst_ip=None, timeout=90):
    """Like pop3_login_fail, over IMAP (LOGIN, then LOGOUT or a drop)."""
    return not _imap(src_ip, port, user, password, attempts, quit, dst_ip, timeout)[0]


# ---------------------------------------------------------------------------
# Safety net: stop whatever is still running at exit or on SIGTERM

_LIVE = []                      # Mail and Popauth objects with running processes


def _emergency_stop():
    for obj in list(_LIVE):
        try:
            obj._emergency()
        except Exception as e:                      # keep going: stop the rest
            print('e2e: emergency stop of %r failed: %s' % (obj, e), file=sys.stderr)


def _on_sigterm(signum, frame):
    # meson's timeout sends SIGTERM to our process group and SIGKILL 0.5 s
    # later.  The servers run in their own sessions, so signal them now,
    # then unwind through the normal cleanup.
    for obj in list(_LIVE):
        try:
            obj._signal_all(signal.SIGTERM)
        except Exception:
            pass
    raise SystemExit(128 + signum)


_handlers_installed = False


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_emergency_stop)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
        signal.signal(signal.SIGHUP, _on_sigterm)
    except ValueError:          # not the main thread: atexit still helps
        pass


def require_root():
    """Exit with meson's skip status (77) unless running as root."""
    if os.geteuid() != 0:
        print('e2e: SKIP: the end-to-end tests need root (private Postfix/Dovecot)')
        sys.exit(SKIP)


# ---------------------------------------------------------------------------
# The servers

def _which(name):
    return shutil.which(name, path=SBIN_PATH)


class Mail:
    """A private Postfix + Dovecot on loopback, in a fresh temp directory.

    Use as a context manager: __enter__ writes every config, starts both
    servers and waits until every port answers; __exit__ stops them by pid,
    checks that no process is left, and removes the directory (kept, with
    its path printed, when the body raised or E2E_KEEP=1).

    Parameters
        map_type      type of the relay and blacklist maps ('lmdb', 'hash',
                      'cdb', ...), used in main.cf and by postmap
        ipv6          serve on ::1 too (None: when ::1 is available)
        main_cf       extra main.cf settings {name: value} (override ours)
        dovecot_conf  extra dovecot.conf text, appended
        auth_failure_delay   Dovecot setting (default: Dovecot's 2 secs)
        name          label used in the temp dir name
        relay_map, blacklist_map   map paths relative to the temp root
                      (default maps/relay, maps/blacklist)
        blacklist_map_type   (default: map_type)
        mailbox       deliver mail to any address @alert.test into one
                      mbox file, mailbox_path (Postfix's virtual delivery
                      agent, as nobody, inside the temp root); mail
                      submitted with sendmail is picked up (pickup)

    Attributes (after __enter__)
        root, postfix_log, dovecot_log, startup_log
        relay_map, relay_map_type, relay_map_spec ('lmdb:/.../maps/relay')
        blacklist_map, blacklist_map_spec
        postfix_config_dir, postfix_queue_dir, dovecot_conf_path, dovecot_base_dir
        ports: {'smtp', 'smtp_sticky', 'smtp_fresh', 'pop3', 'imap'}
          smtp         the normal smtpd service (127.0.0.1 and ::1)
          smtp_sticky  127.0.0.1 only, one smtpd process that lives for
                       10000 sessions / 1 h idle: "an already-running smtpd"
          smtp_fresh   127.0.0.1 only, max_use=1: every session is served
                       by a new smtpd process
          (logged as postfix/sticky/smtpd and postfix/fresh/smtpd)
        smtp_port, pop3_port, imap_port
        postfix_pid, dovecot_pid
        log_offsets: sizes of both logs once the servers were ready
    """

    def __init__(self, map_type='lmdb', ipv6=None, main_cf=None,
                 dovecot_conf='', auth_failure_delay=None, name='mail',
                 relay_map='maps/relay', blacklist_map='maps/blacklist',
                 blacklist_map_type=None, mailbox=False):
        for rel in (relay_map, blacklist_map):
            if os.path.isabs(rel) or '..' in rel.split('/'):
                raise HarnessError('map paths are relative to the temp root: %r' % rel)
        self.map_type = map_type
        self.relay_map_rel, self.blacklist_map_rel = relay_map, blacklist_map
        self.blacklist_map_type = blacklist_map_type or map_type
        self.ipv6 = ipv6_loopback_available() if ipv6 is None else ipv6
        self.extra_main_cf = dict(main_cf or {})
        self.mailbox = mailbox
        self.extra_dovecot_conf = dovecot_conf
        self.auth_failure_delay = auth_failure_delay
        self.name = name
        self.root = None
        self.postfix_pid = None
        self.dovecot_pid = None
        self.keep = os.environ.get('E2E_KEEP') == '1'
        self.problems = []

    def __repr__(self):
        return '<Mail %s %s>' % (self.map_type, self.root)

    # -- requirements -------------------------------------------------------

    def check_requirements(self):
        """Raise HarnessError naming whatever is missing on this machine."""
        missing = [t for t in ('postfix', 'postconf', 'postmap', 'dovecot', 'doveconf')
                   if not _which(t)]
        if missing:
            raise HarnessError('missing programs: %s (apt-get install postfix '
                               'postfix-lmdb dovecot-core dovecot-pop3d dovecot-imapd)'
                               % ', '.join(missing))
        daemon_dir = subprocess.run(['postconf', '-dh', 'daemon_directory'], capture_output=True,
                                    text=True, env=_tool_env(), check=True).stdout.strip()
        self.postfix_master_exe = os.path.realpath(daemon_dir + '/master')
        self.dovecot_exe = os.path.realpath(_which('dovecot'))
        types = subprocess.run(['postconf', '-m'], capture_output=True, text=True,
                               env=_tool_env(), check=True).stdout.split()
        for t in sorted({self.map_type, self.blacklist_map_type}):
            if t not in types:
                raise HarnessError('Postfix has no %r map type (postconf -m: %s); '
                                   'apt-get install postfix-%s' % (t, ' '.join(types), t))
        for f in ('/usr/lib/dovecot/pop3', '/usr/lib/dovecot/imap',
                  '/usr/lib/dovecot/pop3-login', '/usr/lib/dovecot/imap-login'):
            if not os.path.exists(f):
                raise HarnessError('missing %s (apt-get install dovecot-pop3d '
                                   'dovecot-imapd)' % f)
        for user in ('postfix', 'dovecot', 'dovenull', 'nobody'):
            try:
                pwd.getpwnam(user)
            except KeyError:
                raise HarnessError('missing system user %r' % user) from None
        for group in ('postdrop', 'nogroup'):
            try:
                grp.getgrnam(group)
            except KeyError:
                raise HarnessError('missing system group %r' % group) from None

    # -- paths and config ---------------------------------------------------

    def _layout(self):
        r = self.root
        self.postfix_config_dir = r + '/postfix/etc'
        self.postfix_queue_dir = r + '/postfix/spool'
        self.postfix_data_dir = r + '/postfix/data'
        self.postfix_log = r + '/postfix.log'
        self.dovecot_log = r + '/dovecot.log'
        self.startup_log = r + '/startup.log'
        self.dovecot_dir = r + '/dovecot'
        self.dovecot_conf_path = r + '/dovecot/dovecot.conf'
        self.dovecot_base_dir = r + '/dovecot/run'
        self.dovecot_state_dir = r + '/dovecot/state'
        self.dovecot_users = r + '/dovecot/users'
        self.mail_dir = r + '/mail'
        self.vmail_dir = r + '/vmail'
        self.mailbox_path = self.vmail_dir + '/mailbox'
        self.map_dir = r + '/maps'
        self.relay_map = r + '/' + self.relay_map_rel
        self.blacklist_map = r + '/' + self.blacklist_map_rel
        self.relay_map_type = self.map_type
        self.relay_map_spec = '%s:%s' % (self.map_type, self.relay_map)
        self.blacklist_map_spec = '%s:%s' % (self.blacklist_map_type, self.blacklist_map)

    def _main_cf(self):
        settings = [
            ('compatibility_level', '3.6'),
            # this instance's own directories; command_directory,
            # daemon_directory, meta_directory (postfix-files,
            # dynamicmaps.cf) and shlib_directory stay the system's
            ('queue_directory', self.postfix_queue_dir),
            ('data_directory', self.postfix_data_dir),
            # log to a file through postlogd (master.cf `postlog`)
            ('maillog_file', self.postfix_log),
            ('maillog_file_prefixes', self.root),
            # names: the log's host field is the first label: "mail"
            ('myhostname', 'mail.test'),
            ('mydomain', 'mail.test'),
            ('myorigin', '$mydomain'),
            ('mydestination', '$myhostname, localhost'),
            ('smtpd_banner', '$myhostname ESMTP $mail_name'),
            ('biff', 'no'),
            ('append_dot_mydomain', 'no'),
            # network: loopback only; only 127.0.0.1 is trusted, every other
            # 127.0.0.x and ::1 is a "remote" client
            ('inet_interfaces', 'loopback-only'),
            ('inet_protocols', 'ipv4, ipv6' if self.ipv6 else 'ipv4'),
            ('mynetworks', '127.0.0.1/32'),
            ('relay_domains', ''),
            # no DNS at all
            ('smtpd_peername_lookup', 'no'),
            ('smtp_dns_support_level', 'disabled'),
            ('lmtp_dns_support_level', 'disabled'),
            # nothing is ever delivered anywhere: every transport discards
            ('default_transport', 'discard:harness-no-outbound-delivery'),
            ('relay_transport', 'discard:harness-no-outbound-delivery'),
            ('local_transport', 'discard:harness-local-delivery'),
            ('virtual_transport', 'discard:harness-virtual-delivery'),
            ('alias_maps', ''),
            ('alias_database', ''),
            ('local_recipient_maps', 'inline:{ alice=ok, bob=ok, postmaster=ok }'),
            ('notify_classes', ''),
            # abandoned RCPTs would otherwise slow accepted ones to 1 s each
            ('in_flow_delay', '0'),
            # the maps popauth owns
            ('smtpd_client_restrictions',
             'check_client_access %s' % self.blacklist_map_spec),
            ('smtpd_relay_restrictions',
             'permit_mynetworks, check_client_access %s, reject_unauth_destination'
             % self.relay_map_spec),
        ]
        if self.mailbox:
            # one real delivery: anything @alert.test into one mbox file
            settings += [
                ('virtual_mailbox_domains', 'alert.test'),
                ('virtual_transport', 'virtual'),
                ('virtual_mailbox_base', self.vmail_dir),
                ('virtual_mailbox_maps', 'static:mailbox'),
                ('virtual_uid_maps', 'static:65534'),
                ('virtual_gid_maps', 'static:65534'),
            ]
        settings += list(self.extra_main_cf.items())
        seen, lines = {}, ['# written by popauth tests/e2e/harness.py (private instance)']
        for k, v in settings:            # later settings override earlier ones
            seen[k] = v
        for k, v in seen.items():
            lines.append('%s = %s' % (k, v))
        return '\n'.join(lines) + '\n'

    def _master_cf(self):
        p = self.ports
        smtp = ['127.0.0.1:%d' % p['smtp']] + (['[::1]:%d' % p['smtp']] if self.ipv6 else [])
        lines = [
            '# written by popauth tests/e2e/harness.py (private instance)',
            '# Every service runs with chroot = n: a chrooted smtpd would need',
            '# copies of /etc/resolv.conf, hosts, services, ... in the queue',
            '# directory (Debian chroots smtpd by default).',
            '# service        type  private unpriv chroot wakeup maxproc command',
        ]
        for name in smtp:
            lines.append('%-16s inet  n       -      n      -      -       smtpd' % name)
        lines += [
            '127.0.0.1:%-6d inet  n       -      n      -      1       smtpd'
            ' -o syslog_name=postfix/sticky -o max_use=10000 -o max_idle=3600s'
            % p['smtp_sticky'],
            '127.0.0.1:%-6d inet  n       -      n      -      -       smtpd'
            ' -o syslog_name=postfix/fresh -o max_use=1' % p['smtp_fresh'],
        ]
        # the usual support services (Debian's master.cf, chroot off)
        for svc, typ, private, unpriv, wake, maxproc, cmd in [
                ('cleanup', 'unix', 'n', '-', '-', '0', 'cleanup'),
                ('qmgr', 'unix', 'n', '-', '300', '1', 'qmgr'),
                ('rewrite', 'unix', '-', '-', '-', '-', 'trivial-rewrite'),
                ('bounce', 'unix', '-', '-', '-', '0', 'bounce'),
                ('defer', 'unix', '-', '-', '-', '0', 'bounce'),
                ('trace', 'unix', '-', '-', '-', '0', 'bounce'),
                ('verify', 'unix', '-', '-', '-', '1', 'verify'),
                ('flush', 'unix', 'n', '-', '1000?', '0', 'flush'),
                ('proxymap', 'unix', '-', '-', '-', '-', 'proxymap'),
                ('proxywrite', 'unix', '-', '-', '-', '1', 'proxymap'),
                ('showq', 'unix', 'n', '-', '-', '-', 'showq'),
                ('error', 'unix', '-', '-', '-', '-', 'error'),
                ('retry', 'unix', '-', '-', '-', '-', 'error'),
                ('discard', 'unix', '-', '-', '-', '-', 'discard'),
                ('anvil', 'unix', '-', '-', '-', '1', 'anvil'),
                ('scache', 'unix', '-', '-', '-', '1', 'scache'),
                ] + ([('pickup', 'unix', 'n', '-', '60', '1', 'pickup'),
                      ('virtual', 'unix', '-', 'n', '-', '-', 'virtual')]
                     if self.mailbox else []) + [
                # maillog_file needs postlogd
                ('postlog', 'unix-dgram', 'n', '-', '-', '1', 'postlogd')]:
            lines.append('%-16s %-5s %-7s %-6s n      %-6s %-7s %s'
                         % (svc, typ, private, unpriv, wake, maxproc, cmd))
        return '\n'.join(lines) + '\n'

    def _dovecot_conf(self):
        p = self.ports
        listen = '127.0.0.1, ::1' if self.ipv6 else '127.0.0.1'
        extra = ''
        if self.auth_failure_delay is not None:
            extra += 'auth_failure_delay = %s\n' % self.auth_failure_delay
        return f"""# written by popauth tests/e2e/harness.py (private instance)
instance_name = {os.path.basename(self.root)}
base_dir = {self.dovecot_base_dir}
state_dir = {self.dovecot_state_dir}
# both to one file; Info: lines need info_log_path (not "info_path")
log_path = {self.dovecot_log}
info_log_path = {self.dovecot_log}
protocols = pop3 imap
listen = {listen}
ssl = no
# 127.0.0.x -> 127.0.0.1 is not "secured": allow USER/PASS and LOGIN
disable_plaintext_auth = no
auth_mechanisms = plain login
# the auth: ... Password mismatch / unknown user lines
auth_verbose = yes
{extra}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dovecot_users}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={self.mail_dir}/%u
}}
mail_location = maildir:~/Maildir
service pop3-login {{
  inet_listener pop3 {{
    port = {p['pop3']}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {p['imap']}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{self.extra_dovecot_conf}
"""

    def _write(self, path, text, mode=0o644, owner=None, group=None):
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        if owner or group:
            shutil.chown(path, owner, group)

    def _setup_files(self):
        for d in (self.postfix_config_dir, self.postfix_queue_dir,
                  self.dovecot_dir, self.dovecot_state_dir, self.map_dir):
            os.makedirs(d, mode=0o755, exist_ok=True)
        os.mkdir(self.mail_dir, 0o755)
        shutil.chown(self.mail_dir, 'nobody', 'nogroup')
        # the logs exist (0644) before the servers open them: postlogd would
        # create a 0600 file, and popauth may start tailing before any line
        for log in (self.postfix_log, self.dovecot_log):
            self._write(log, '')
        self._write(self.dovecot_users,
                    ''.join('%s:{PLAIN}%s::::::\n' % (u, pw) for u, pw in USERS.items()),
                    0o640, 'root', 'dovecot')

    def _create_maps(self):
        """Empty maps, so that Postfix starts cleanly (needs main.cf)."""
        for m, t in ((self.relay_map, self.relay_map_type),
                     (self.blacklist_map, self.blacklist_map_type)):
            os.makedirs(os.path.dirname(m), mode=0o755, exist_ok=True)
            self._write(m, '')
            self.postmap(m, t)

    # -- start / stop -------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop(failed=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(failed=exc_type is not None)
        return False

    def start(self):
        _install_handlers()
        self.check_requirements()
        parent = os.environ.get('E2E_TMPDIR') or None
        self.root = tempfile.mkdtemp(prefix='popauth-e2e-%s-' % self.name, dir=parent)
        os.chmod(self.root, 0o755)      # dovecot's mail processes run as nobody
        self._layout()
        if self.mailbox:                # the virtual agent writes as nobody
            os.makedirs(self.vmail_dir)
            os.chown(self.vmail_dir, 65534, 65534)
        _LIVE.append(self)
        self._setup_files()
        t0 = time.monotonic()
        for attempt in range(1, 4):
            # ports are picked at run time; another test on this machine may
            # grab one before our servers bind it: then retry with new ones
            names = ['smtp', 'smtp_sticky', 'smtp_fresh', 'pop3', 'imap']
            self.ports = dict(zip(names, pick_ports(len(names), self.ipv6)))
            self.smtp_port, self.pop3_port, self.imap_port = (
                self.ports['smtp'], self.ports['pop3'], self.ports['imap'])
            self._write(self.postfix_config_dir + '/main.cf', self._main_cf())
            self._write(self.postfix_config_dir + '/master.cf', self._master_cf())
            self._write(self.dovecot_conf_path, self._dovecot_conf())
            if attempt == 1:
                self._create_maps()
            try:
                self._start_postfix()
                self._start_dovecot()
                self._wait_ready()
                break
            except HarnessError:
                if attempt == 3 or not self._port_clash():
                    raise
                note('a port was taken before our servers bound it; retrying')
                self._find_pids()
                for pid, what in ((self.postfix_pid, 'postfix master'),
                                  (self.dovecot_pid, 'dovecot master')):
                    if pid:
                        self.problems += stop_daemon(pid, what)
                self.postfix_pid = self.dovecot_pid = None
        self.log_offsets = {'postfix': os.path.getsize(self.postfix_log),
                            'dovecot': os.path.getsize(self.dovecot_log)}
        note('servers up in %.2fs: root %s, ports %s'
             % (time.monotonic() - t0, self.root, self.ports))

    def _port_clash(self):
        """True when a server failed to bind a port that was taken."""
        for path in (self.startup_log, self.postfix_log, self.dovecot_log):
            try:
                with open(path, errors='replace') as f:
                    if 'Address already in use' in f.read():
                        return True
            except FileNotFoundError:
                pass
        return False

    def _run_logged(self, cmd, timeout):
        with open(self.startup_log, 'a') as out:
            out.write('$ %s\n' % ' '.join(cmd))
            out.flush()
            # stdio on a file, never a pipe: the daemons keep it open
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT, env=_tool_env(),
                               timeout=timeout, cwd=self.root)
        return r.returncode

    def _start_postfix(self):
        rc = self._run_logged(['postfix', '-c', self.postfix_config_dir, 'start'], 120)
        pidfile = self.postfix_queue_dir + '/pid/master.pid'
        if rc != 0:
            raise HarnessError('postfix start failed (%d):\n%s\n%s'
                               % (rc, tail(self.startup_log), tail(self.postfix_log)))
        self.postfix_pid = self._read_pidfile(pidfile, 'postfix master')

    def _start_dovecot(self):
        rc = self._run_logged(['dovecot', '-c', self.dovecot_conf_path], 60)
        if rc != 0:
            raise HarnessError('dovecot failed to start (%d):\n%s\n%s'
                               % (rc, tail(self.startup_log), tail(self.dovecot_log)))
        self.dovecot_pid = self._read_pidfile(self.dovecot_base_dir + '/master.pid',
                                              'dovecot master')

    def _read_pidfile(self, path, what, timeout=30):
        def read():
            try:
                with open(path) as f:
                    pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                return None
            return pid if pid_alive(pid) else None
        pid = wait_until(read, timeout, what='%s pid file %s' % (what, path))
        note('%s pid %d (%s)' % (what, pid, pid_exe(pid)))
        return pid

    def _wait_ready(self, timeout=30):
        """Every port listens; every server answers a greeting from 127.0.0.1."""
        checks = [('127.0.0.1', self.ports[k]) for k in self.ports]
        if self.ipv6:
            checks += [('::1', self.ports[k]) for k in ('smtp', 'pop3', 'imap')]
        for ip, port in checks:
            wait_until(lambda: is_listening(ip, port), timeout,
                       what='a listener on [%s]:%d' % (ip, port))
        # A real greeting proves smtpd/login processes start (a broken
        # main.cf or map only shows at the first connection).
        for key in ('smtp', 'smtp_sticky', 'smtp_fresh'):
            with SmtpSession('127.0.0.1', self.ports[key]):
                pass
        for ip in ['127.0.0.1'] + (['::1'] if self.ipv6 else []):
            with SmtpSession(ip, self.ports['smtp']):
                pass
            for port, expect in ((self.ports['pop3'], '+OK'), (self.ports['imap'], '* OK')):
                c = _LineClient(ip, port, timeout=timeout)
                try:
                    greet = c.readline()
                finally:
                    c.close()
                if not greet.startswith(expect):
                    raise HarnessError('bad greeting on [%s]:%d: %r' % (ip, port, greet))
        LogCursor(self.postfix_log, 0).wait(r'postfix/master\[\d+\]: daemon started', timeout)
        LogCursor(self.dovecot_log, 0).wait(r'master: Info: Dovecot .* starting up', timeout)

    def _pid_from_file(self, path, exe):
        """The live pid in `path` if it runs `exe` (never signal a reused pid)."""
        try:
            with open(path) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) and pid_exe(pid) == exe else None

    def _find_pids(self):
        """Fill in server pids not known yet (start interrupted half-way)."""
        if not self.root or not hasattr(self, 'postfix_queue_dir'):
            return
        if self.postfix_pid is None:
            self.postfix_pid = self._pid_from_file(self.postfix_queue_dir + '/pid/master.pid',
                                                   self.postfix_master_exe)
        if self.dovecot_pid is None:
            self.dovecot_pid = self._pid_from_file(self.dovecot_base_dir + '/master.pid',
                                                   self.dovecot_exe)

    def _signal_all(self, sig):
        self._find_pids()
        kill_pids([p for p in (self.postfix_pid, self.dovecot_pid) if p and pid_alive(p)], sig)

    def _emergency(self):
        if self.root:
            self.stop(failed=True)

    def stop(self, failed=False):
        """Stop both servers by pid; check that nothing is left; remove the
        temp dir unless failed/keep.  Raises HarnessError on a dirty stop."""
        if self in _LIVE:
            _LIVE.remove(self)
        if not self.root:
            return
        problems = list(self.problems)
        self._find_pids()
        if self.postfix_pid:
            problems += stop_daemon(self.postfix_pid, 'postfix master')
            self.postfix_pid = None
        if self.dovecot_pid:
            problems += stop_daemon(self.dovecot_pid, 'dovecot master')
            self.dovecot_pid = None
        # Anything else still working in our directory is a leak
        left = procs_referencing(self.root)
        if left:
            problems.append('processes left behind, SIGKILLed: '
                            + ', '.join(map(describe_pid, left)))
            kill_pids(left, signal.SIGKILL)
        root, self.root = self.root, None
        if failed or problems or self.keep:
            print('e2e: kept %s (postfix.log, dovecot.log, startup.log)' % root,
                  file=sys.stderr, flush=True)
        else:
            shutil.rmtree(root)
        if problems:
            raise HarnessError('; '.join(problems))

    # -- helpers bound to this instance -------------------------------------

    def postmap(self, path, map_type=None, args=()):
        """postmap TYPE:PATH with this instance's config (errors are logged
        to postfix.log too); returns the seconds it took."""
        return postmap(map_type or self.map_type, path, self.postfix_config_dir, args)

    def write_map(self, path, entries, method='inplace', map_type=None):
        return write_map(path, entries, map_type or self.map_type, method,
                         self.postfix_config_dir)

    def set_relay_map(self, entries, method='inplace'):
        """Replace the relay map (e.g. {'127.0.0.5': 'OK'}) and index it."""
        return self.write_map(self.relay_map, entries, method)

    def set_blacklist_map(self, entries, method='inplace'):
        """Replace the blacklist map (e.g. {'127.0.0.30': '554 go away'})."""
        return self.write_map(self.blacklist_map, entries, method, self.blacklist_map_type)

    def postfix_cursor(self, offset=None):
        """LogCursor on postfix.log (offset None: the end of the file)."""
        return LogCursor(self.postfix_log, offset)

    def dovecot_cursor(self, offset=None):
        return LogCursor(self.dovecot_log, offset)

    def smtpd_pids(self):
        """pids of this instance's running smtpd processes."""
        out = []
        for p in descendants(self.postfix_pid) if self.postfix_pid else []:
            exe = pid_exe(p) or ''
            if exe.endswith('/smtpd'):
                out.append(p)
        return out

    def smtp_session(self, src_ip, service='smtp', helo=DEFAULT_HELO, timeout=30):
        """An open SmtpSession to one of the SMTP services (see ports)."""
        return SmtpSession(src_ip, self.ports[service], helo=helo, timeout=timeout)

    def smtp_try_relay(self, src_ip, rcpt=DEFAULT_RCPT, sender=DEFAULT_SENDER,
                       helo=DEFAULT_HELO, service='smtp'):
        """EHLO, MAIL, RCPT, QUIT from src_ip (IPv4 or '::1'); returns the
        RCPT reply (code, text)."""
        return smtp_try_relay(src_ip, self.ports[service], rcpt, sender, helo)

    def pop3_login(self, src_ip, user='alice', password=None):
        return pop3_login(src_ip, self.pop3_port, user,
                          USERS.get(user, '') if password is None else password)

    def imap_login(self, src_ip, user='alice', password=None):
        return imap_login(src_ip, self.imap_port, user,
                          USERS.get(user, '') if password is None else password)

    def pop3_login_fail(self, src_ip, user='alice', password='wrong-password',
                        attempts=1, quit=True):
        return pop3_login_fail(src_ip, self.pop3_port, user, password, attempts, quit)

    def imap_login_fail(self, src_ip, user='alice', password='wrong-password',
                        attempts=1, quit=True):
        return imap_login_fail(src_ip, self.imap_port, user, password, attempts, quit)

    # -- popauth ------------------------------------------------------------

    def popauth_config(self, **overrides):
        """popauth.conf text for this instance.  Keyword arguments override
        or add keys; a value of None drops the key."""
        pa = self.root + '/popauth'
        cfg = {
            'log_sources': 'file:%s, file:%s' % (self.postfix_log, self.dovecot_log),
            'state_directory': pa + '/state',
            'relay_map': self.relay_map_spec,
            'blacklist_map': self.blacklist_map_spec,
            'relay_lease': '30m',
            'map_rebuild_delay': '1s',
            'log_destination': 'stderr',
            'log_level': 'info',
            'postmap_path': 'postmap',
            'pid_file': pa + '/popauth.pid',
            # bans go to the firewall only in the namespaces of the
            # firewall tests, never the host's; alert mail only where a
            # test delivers it
            'firewall': 'none',
            'alert_threshold': '0',
        }
        cfg.update(overrides)
        lines = ['# written by popauth tests/e2e/harness.py']
        lines += ['%s = %s' % (k, v) for k, v in cfg.items() if v is not None]
        return '\n'.join(lines) + '\n'

    def popauth(self, config_text=None, **kwargs):
        """A (not yet started) Popauth for this instance; use `with`."""
        return Popauth(self, config_text, **kwargs)


# ---------------------------------------------------------------------------
# popauth

class Popauth:
    """Runs `$POPAUTH run -c CONF` against a Mail instance.

    The config (Mail.popauth_config() unless config_text is given, with
    `overrides` applied) is written to <root>/popauth/<name>.conf; stdout and
    stderr go to <root>/popauth/<name>.stderr.  The process gets its own
    session, stdin from /dev/null, cwd <root>/popauth, the caller's
    environment (meson's ASAN_OPTIONS ...) plus MAIL_CONFIG=<postfix config
    dir> (so `postmap` uses this instance's main.cf and logs to its
    postfix.log) and a PATH with /usr/sbin.

    start() waits until pid_file (when the config has one) holds the child's
    pid, and fails if popauth exits first.  stop() sends SIGTERM by pid,
    SIGKILL after stop_timeout, and raises PopauthError unless the exit
    status is expect_status; any process left in popauth's session is
    killed by pid and reported.
    """

    def __init__(self, mail, config_text=None, binary=None, name='popauth',
                 args=(), env=None, ready_timeout=15.0, stop_timeout=10.0,
                 expect_status=0, mail_config_env=True, **overrides):
        self.mail = mail
        self.binary = binary or os.environ.get('POPAUTH')
        if not self.binary:
            raise PopauthError('POPAUTH is not set (meson sets it to the built binary)')
        if not os.access(self.binary, os.X_OK):
            raise PopauthError('POPAUTH=%s is not an executable' % self.binary)
        self.dir = mail.root + '/popauth'
        os.makedirs(self.dir + '/state', mode=0o755, exist_ok=True)
        self.config_text = (config_text if config_text is not None
                            else mail.popauth_config(**overrides))
        self.conf_path = '%s/%s.conf' % (self.dir, name)
        self.stderr_path = '%s/%s.stderr' % (self.dir, name)
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.mail_config_env = mail_config_env
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.expect_status = expect_status
        self.proc = None
        self.status = None
        m = re.search(r'^\s*pid_file\s*=\s*(\S.*?)\s*$', self.config_text, re.M)
        self.pid_file = m.group(1) if m else None

    def __repr__(self):
        return '<Popauth %s>' % (self.proc.pid if self.proc else 'not running')

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stderr_text(self):
        try:
            with open(self.stderr_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''

    def stderr_cursor(self, offset=0):
        return LogCursor(self.stderr_path, offset)

    def start(self):
        _install_handlers()
        with open(self.conf_path, 'w') as f:
            f.write(self.config_text)
        env = dict(os.environ)
        env['PATH'] = env.get('PATH', '') + ':' + SBIN_PATH
        if self.mail_config_env:
            env['MAIL_CONFIG'] = self.mail.postfix_config_dir
        env.update(self.extra_env)
        cmd = [self.binary, 'run', '-c', self.conf_path] + self.args
        with open(self.stderr_path, 'ab') as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err,
                                         stderr=err, cwd=self.dir, env=env,
                                         start_new_session=True)
        _LIVE.append(self)
        note('popauth started: pid %d: %s' % (self.proc.pid, ' '.join(cmd)))
        if self.pid_file:
            def ready():
                if self.proc.poll() is not None:
                    raise PopauthError('popauth exited with %s during start-up; stderr:\n%s'
                                       % (self.proc.returncode, self.stderr_text()))
                try:
                    with open(self.pid_file) as f:
                        return int(f.read().split()[0]) == self.proc.pid
                except (OSError, ValueError, IndexError):
                    return False
            try:
                wait_until(ready, self.ready_timeout, what='popauth pid file %s' % self.pid_file)
            except HarnessTimeout as e:
                raise PopauthError('%s; stderr:\n%s' % (e, self.stderr_text())) from None
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _signal_all(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def _emergency(self):
        self.stop(check=False)

    def signal(self, sig):
        """Send sig (e.g. signal.SIGHUP) to popauth by pid."""
        self.proc.send_signal(sig)

    def stop(self, check=True):
        """SIGTERM, wait, SIGKILL after stop_timeout; returns the exit
        status (negative: killed by that signal)."""
        if self in _LIVE:
            _LIVE.remove(self)
        if self.proc is None:
            return None
        problems = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                problems.append('popauth ignored SIGTERM for %.0fs: SIGKILLed' % self.stop_timeout)
                self.proc.kill()
                self.proc.wait()
        self.status = self.proc.returncode
        # popauth's own children (postmap ...) share its session
        left = [p for p in all_pids() if pid_alive(p)
                and (_proc_stat(p) or (0, 0, 0, 0))[3] == self.proc.pid]
        if left:
            problems.append('popauth left processes behind, SIGKILLed: '
                            + ', '.join(map(describe_pid, left)))
            kill_pids(left, signal.SIGKILL)
        if self.status != self.expect_status:
            problems.append('popauth exited with status %s, expected %s'
                            % (self.status, self.expect_status))
        note('popauth pid %d stopped, status %s' % (self.proc.pid, self.status))
        if problems and check:
            raise PopauthError('; '.join(problems) + '; stderr:\n' + self.stderr_text())
        return self.status

    def __enter__(self):
        if self.proc is None:
            try:
                self.start()
            except BaseException:
                self.stop(check=False)
                raise
        return self

    def __exit__(self, exc_type, exc, tb):
        # don't let a stop problem mask the test's own exception
        self.stop(check=exc_type is None)
        return False


def run_popauth(mail, config_text=None, **kwargs):
    """Start popauth against `mail` and return the running Popauth (a
    context manager: `with run_popauth(mail) as pa:`)."""
    return Popauth(mail, config_text, **kwargs).start()
