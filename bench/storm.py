#!/usr/bin/env python3
"""storm.py - the anti-abuse engine under a storm of repeat hits.

1. bench/storm (C, the engine alone): microseconds per repeat hit with 1k,
   100k and 1M tracked IPs (it must stay flat), and bytes per record.
2. The daemon: `popauth run' reads, through a FIFO, DNSBL rejects that list
   2,000 IPs and then a storm of 100,000 repeat hits (the reject lines
   Postfix logs for popauth's own blacklist map) from 1,000 of them, stamped
   with the current time; reports the time it took, the events per second
   and how many times each map was rebuilt (a handful: repeat hits do not
   change the map).
Prints figures; never fails on them.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def build():
    bdir = os.path.join(TOP, "build-bench")
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        subprocess.run(["meson", "setup", bdir, "--buildtype=release",
                        "-Db_lto=true"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", bdir, "popauth", "bench/storm"], check=True,
                   stdout=subprocess.DEVNULL)
    return bdir


def daemon_storm(popauth, listed=2000, hot=1000, hits=100000):
    work = tempfile.mkdtemp(prefix="popauth-storm-")
    fifo = os.path.join(work, "fifo")
    conf = os.path.join(work, "popauth.conf")
    with open(conf, "w") as f:
        f.write(f"log_sources = fifo:{fifo}\nstate_directory = {work}/state\n"
                f"relay_map = lmdb:{work}/relay\n"
                f"blacklist_map = lmdb:{work}/blacklist\n"
                "myhostname = bench.example\nlog_destination = stderr\n"
                "trusted_networks = 127.0.0.1/32\n"
                # the bans it decides are not for this host's firewall,
                # nor mail for its admin
                "firewall = none\nalert_threshold = 0\n")
    err = open(os.path.join(work, "stderr"), "wb")
    p = subprocess.Popen([popauth, "-c", conf, "-v", "run"], stderr=err,
                         stdout=err)
    try:
        while not os.path.exists(fifo):
            time.sleep(0.01)
        stamp = time.strftime("%b %e %H:%M:%S")
        ip = lambda i: "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)
        pre = "".join(
            f"{stamp} mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
            f"unknown[{ip(i)}]: 554 5.7.1 Service unavailable; Client host "
            f"[{ip(i)}] blocked using zen.example.org; listed; "
            f"from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>\n"
            for i in range(listed))
        storm = "".join(
            f"{stamp} mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
            f"unknown[{ip(i % hot)}]: 554 5.7.1 <unknown[{ip(i % hot)}]>: "
            f"Client host rejected: Your IP address has been blacklisted by "
            f"zen.example.org. Visit their website or write to argue. listed;"
            f" from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<h>\n"
            for i in range(hits))
        with open(fifo, "w") as w:
            w.write(pre)
        time.sleep(1.5)
        t0 = time.perf_counter()
        with open(fifo, "w") as w:
            w.write(storm)
        # done when the last hit is logged
        path = os.path.join(work, "stderr")
        while True:
            with open(path, errors="replace") as f:
                text = f.read()
            if text.count("tried again") >= hits:
                break
            time.sleep(0.05)
        dt = time.perf_counter() - t0
        time.sleep(1.5)
    finally:
        p.terminate()
        p.wait()
        err.close()
    with open(os.path.join(work, "stderr"), errors="replace") as f:
        text = f.read()
    shutil.rmtree(work)
    rebuilds = {m: len(re.findall(r"%s map \S+ rebuilt" % m, text))
                for m in ("relay", "blacklist")}
    return dt, rebuilds


def main():
    bdir = build()
    subprocess.run([os.path.join(bdir, "bench", "storm")], check=True)
    dt, rebuilds = daemon_storm(os.path.join(bdir, "popauth"))
    print(f"daemon: 100000 repeat hits on 1000 of 2000 listed IPs through a "
          f"FIFO in {dt:.2f} s ({100000 / dt:,.0f} events/s, with a log line "
          f"each at -v); map rebuilds: blacklist {rebuilds['blacklist']}, "
          f"relay {rebuilds['relay']}")


if __name__ == "__main__":
    main()
