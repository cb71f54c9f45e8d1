#!/usr/bin/env python3
"""replay.py - how fast is `popauth replay` next to `wc -l` on the same log.

Generates (once, cached) a large mixed Postfix + Dovecot log with the
shared deterministic generator, then in the same run times `wc -l` and
`popauth replay` (fresh state each time, every recogniser on) several
times each and prints the median line rates, their ratio and popauth's
peak RSS.  It prints figures; it never fails on them (benchmarks do not
gate CI).

    bench/replay.py [--lines N] [--runs K] [--log FILE] [--popauth BIN]

Without --popauth it builds a release build in build-bench/.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
GENLOG = os.environ.get("GENLOG",
                        os.path.join(TOP, "..", "shared", "bench", "genlog.py"))


def build():
    bdir = os.path.join(TOP, "build-bench")
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        subprocess.run(["meson", "setup", bdir, "--buildtype=release", "-Db_lto=true"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", bdir], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(bdir, "popauth")


def run(argv, errlog=None, **kw):
    """(seconds, peak RSS in KiB) of one run of argv; its standard error
    goes to errlog when given (shown if it fails)"""
    err = open(errlog, "w") if errlog else None
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stderr=err, **kw)
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if err:
        err.close()
    if p.returncode != 0:
        if errlog:
            with open(errlog) as f:
                sys.stderr.write(f.read()[-4000:])
        sys.exit(f"{argv[0]} failed with {p.returncode}")
    return secs, ru.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--log", help="use this log instead of generating one")
    ap.add_argument("--popauth", help="the binary (default: release build)")
    a = ap.parse_args()

    popauth = a.popauth or build()
    log = a.log
    if log is None:
        log = os.path.join(tempfile.gettempdir(),
                           f"popauth-bench-{a.lines}.log")
        if not os.path.exists(log):
            if not os.path.exists(GENLOG):
                sys.exit(f"no generator at {GENLOG}: set GENLOG or use --log")
            subprocess.run([sys.executable, GENLOG, "-n", str(a.lines),
                            "-o", log, "--seed", "1"], check=True)
    with open(log, "rb") as f:
        nlines = sum(chunk.count(b"\n")
                     for chunk in iter(lambda: f.read(1 << 20), b""))
    size = os.path.getsize(log)

    work = tempfile.mkdtemp(prefix="popauth-bench-")
    conf = os.path.join(work, "popauth.conf")
    with open(conf, "w") as f:
        f.write(f"state_directory = {work}/state\n"
                f"relay_map = lmdb:{work}/relay\n"
                f"blacklist_map = lmdb:{work}/blacklist\n"
                "myhostname = bench.example\n"
                "log_destination = stderr\n")
    # warm the page cache so both read from memory
    run(["cat", log], stdout=subprocess.DEVNULL)
    wc, pa, rss = [], [], []
    try:
        for _ in range(a.runs):
            wc.append(run(["wc", "-l", log], stdout=subprocess.DEVNULL)[0])
            shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
            # its warnings (stale-map refusals in this log) are not the
            # benchmark's output
            secs, kib = run([popauth, "-c", conf, "replay", log],
                            errlog=os.path.join(work, "stderr"),
                            stdout=subprocess.DEVNULL)
            pa.append(secs)
            rss.append(kib)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    w, p = statistics.median(wc), statistics.median(pa)
    print(f"log: {log}: {nlines} lines, {size / 1e6:.1f} MB")
    print(f"wc -l:          {nlines / w / 1e6:7.2f} M lines/s  "
          f"(median of {a.runs}: {w * 1000:.1f} ms)")
    print(f"popauth replay: {nlines / p / 1e6:7.2f} M lines/s  "
          f"(median of {a.runs}: {p * 1000:.1f} ms, whole command)")
    print(f"ratio:          {100 * w / p:7.1f} % of wc -l")
    print(f"peak RSS:       {max(rss) / 1024:7.1f} MB")


if __name__ == "__main__":
    main()
