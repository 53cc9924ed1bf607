"""The README's first command, `scripts/demo`, as a newcomer runs it: it must
install nothing new here (the suite's scripts/bootstrap ran), build nothing the
suite did not (LOCKSTEP_BUILD_DIR is the suite's build folder), migrate the
example app in migrations/ on a throwaway PostgreSQL, and stop that server and
remove its folder on the way out. What it prints is checked against the
migration files, not against a copy of its own output."""

import glob
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def revisions():
    ids = []
    for path in sorted(glob.glob(os.path.join(REPO, "migrations", "*.sql"))):
        with open(path) as f:
            found = re.search(r"^-- Revision ID:\s*(\S+)", f.read(), re.M)
        ids.append(found.group(1))
    return ids


def running(pid):
    """True while `pid` runs: a stopped server's postmaster may linger as a
    zombie until whoever adopted it reaps it, and a zombie runs nothing."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def main():
    failures = []

    def check(name, condition, detail=""):
        if not condition:
            failures.append("%s %s" % (name, detail))

    ids = revisions()
    before = set(glob.glob("/tmp/lockstep-demo-*"))
    run = subprocess.run([os.path.join(REPO, "scripts", "demo")], capture_output=True, text=True,
                         timeout=600, env=dict(os.environ))
    out = run.stdout + run.stderr
    check("exit 0", run.returncode == 0, "(exit %d)\n%s" % (run.returncode, out[-3000:]))

    started = re.search(r"==> PostgreSQL 15 on 127\.0\.0\.1:(\d+) \(pid (\d+)\)", out)
    check("the server it started is named", started is not None, out[:2000])
    check("applied every example revision", ("Upgraded %d revision(s)" % len(ids)) in out, out[:3000])
    history = out.split("==> lockstep history", 1)[-1].split("==> lockstep current", 1)[0]
    for rid in ids:
        check("history lists " + rid, rid in history)
    recorded = out.split("==> what lockstep recorded", 1)[-1]
    check("lockstep_history has a row per revision", ("(%d rows)" % len(ids)) in recorded, recorded[:2000])
    check("a second upgrade has nothing to do", "Nothing to do: the database is at" in out)
    check("no password in the output", re.search(r"postgres(ql)?://[^\s/@]*:[^\s/@]+@", out) is None
          and "password=" not in out)

    if started:
        pid = int(started.group(2))
        check("the server (pid %d) is stopped" % pid, not running(pid))
    leftovers = sorted(set(glob.glob("/tmp/lockstep-demo-*")) - before)
    check("the server's folder is removed", not leftovers, str(leftovers))

    for f in failures:
        print("FAIL", f)
    print("%d checks failed" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
