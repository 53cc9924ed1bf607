#!/usr/bin/python3
"""The example app's migrations (migrations/ at the top of the repository) on a real PostgreSQL.

  1. The files are what the README promises: `<revision>_<slug>.sql`, 12-hex revision ids,
     Message and Create Date headers, and a downgrade section for every revision that does
     something on the way up.
  2. Round trip: `upgrade heads`, `downgrade base`, `upgrade heads` through lockstep; the schema
     (pg_dump --schema-only of public, lockstep's own tables left out) is empty after the
     downgrade and identical to the first one after the second upgrade.
  3. Each downgrade exactly reverts its upgrade: for every revision, from a database holding
     exactly its parents, `upgrade <rev>` then `downgrade -1` gives back the same dump and the
     parents as the version rows.
  4. The same files as an Alembic project (each section through op.execute) end in the same
     schema and the same version rows, and Alembic's `downgrade base` empties it again: a team
     can move between the two tools on this app.

Environment as for parity_test.py: LOCKSTEP_BINARY, LOCKSTEP_TEST_PG_DIR. Prints one line per
check and a final "N passed, M failed".
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
import parity_test as parity  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIGRATIONS = os.path.join(REPO, "migrations")
PG_DUMP = next((p for p in ("/usr/lib/postgresql/15/bin/pg_dump", shutil.which("pg_dump") or "")
                if p and os.access(p, os.X_OK)), "pg_dump")
HEADER = re.compile(r"^--\s*([A-Za-z ]+?)\s*:\s*(.*?)\s*$")


class RevisionFile:
    def __init__(self, path):
        self.path = path
        self.headers = {}
        self.sections = {"upgrade": [], "downgrade": []}
        section = None
        with open(path) as f:
            for line in f:
                marker = line.strip().lower()
                if marker in ("-- +upgrade", "-- +downgrade"):
                    section = marker[4:]
                elif section:
                    self.sections[section].append(line)
                else:
                    m = HEADER.match(line)
                    if m and m.group(1).lower() in (
                            "revision id", "revises", "message", "create date", "branch labels",
                            "depends on", "transactional", "lint ignore"):
                        self.headers[m.group(1).lower()] = m.group(2)
        self.id = self.headers.get("revision id", "")
        self.parents = split_list(self.headers.get("revises", ""))
        self.labels = split_list(self.headers.get("branch labels", ""))
        self.depends_on = split_list(self.headers.get("depends on", ""))
        self.upgrade = "".join(self.sections["upgrade"]).strip()
        self.downgrade = "".join(self.sections["downgrade"]).strip()


def split_list(text):
    return [t.strip() for t in text.split(",") if t.strip()]


def load():
    files = sorted(f for f in os.listdir(MIGRATIONS)
                   if f.endswith(".sql") and not f.startswith(".")
                   and os.path.isfile(os.path.join(MIGRATIONS, f)))
    return [RevisionFile(os.path.join(MIGRATIONS, f)) for f in files]


def topological(revisions):
    by_id = {r.id: r for r in revisions}
    done, order = set(), []

    def visit(r):
        if r.id in done:
            return
        for p in r.parents + r.depends_on:
            visit(by_id[p])
        done.add(r.id)
        order.append(r)

    for r in sorted(revisions, key=lambda r: r.headers.get("create date", "")):
        visit(r)
    return order


def heads(revisions):
    referenced = {p for r in revisions for p in r.parents + r.depends_on}
    return {r.id for r in revisions if r.id not in referenced}


def dump(db):
    """The public schema as pg_dump prints it, lockstep's and Alembic's tables left out."""
    out = subprocess.run(
        [PG_DUMP, "--schema-only", "--no-owner", "--schema=public",
         "--exclude-table=public.lockstep_*", "--exclude-table=public.alembic_version",
         "-d", db.url], capture_output=True, text=True, check=True).stdout
    # pg_dump 15.14+ fences the script with \restrict <random key>; the key differs every time.
    return "\n".join(l for l in out.splitlines()
                     if not l.startswith(("\\restrict", "\\unrestrict", "-- Dumped ")))


def diff(a, b, a_name, b_name):
    import difflib
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), a_name, b_name, lineterm="",
                                      n=2))
    return "\n".join("      " + l for l in lines[:80]) + ("\n      ..." if len(lines) > 80 else "")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   " + name, flush=True)
        else:
            self.failed += 1
            print("FAIL " + name + ("\n" + detail if detail else ""), flush=True)
        return ok


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def lockstep_runner(binary, db, work):
    def lockstep(*args):
        r = run([binary, "--database-url", db.url, "--migrations", MIGRATIONS,
                 "--termination-log", os.devnull] + list(args),
                env={"PATH": "/usr/bin:/bin", "HOME": work}, cwd=work)
        if r.returncode != 0:
            raise RuntimeError("lockstep %s exited %d:\n%s%s"
                               % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r
    return lockstep


def check_files(checks, revisions):
    problems = []
    for r in revisions:
        name = os.path.basename(r.path)
        if not re.fullmatch(r"[0-9a-f]{12}", r.id):
            problems.append("%s: Revision ID %r is not 12 hex characters" % (name, r.id))
        if not re.fullmatch(re.escape(r.id) + r"_[a-z0-9_]+\.sql", name):
            problems.append("%s: not named <revision>_<slug>.sql" % name)
        for key in ("revises", "message", "create date"):
            if key not in r.headers:
                problems.append("%s: no %s header" % (name, key.title()))
        if r.upgrade and not r.downgrade:
            problems.append("%s: no downgrade" % name)
    ids = {r.id for r in revisions}
    for r in revisions:
        for p in r.parents + r.depends_on:
            if p not in ids:
                problems.append("%s: unknown revision %s" % (os.path.basename(r.path), p))
    checks.check("migrations/: %d revision files, named and headed as documented" % len(revisions),
                 not problems and len(revisions) > 0, "\n".join("    " + p for p in problems))
    return not problems


def check_round_trip(checks, server, binary, revisions):
    db = parity.Database(server, "example")
    work = tempfile.mkdtemp(prefix="lockstep-example-")
    try:
        lockstep = lockstep_runner(binary, db, work)
        empty = dump(db)
        lockstep("upgrade", "heads")
        first = dump(db)
        checks.check("upgrade heads: version rows are the heads",
                     db.versions("lockstep_version") == heads(revisions),
                     "    rows %s, heads %s" % (sorted(db.versions("lockstep_version")),
                                                 sorted(heads(revisions))))
        expected = {"users", "conversations", "conversation_members", "messages",
                    "message_reactions", "messages.body_tsv", "messages.edited_at"}
        checks.check("upgrade heads: the chat app's tables are there",
                     expected <= db.schema(), "    missing %s" % sorted(expected - db.schema()))
        lockstep("downgrade", "base")
        checks.check("downgrade base: the public schema is empty again", dump(db) == empty,
                     diff(empty, dump(db), "before upgrade", "after downgrade base"))
        checks.check("downgrade base: no version rows", not db.versions("lockstep_version"))
        lockstep("upgrade", "heads")
        again = dump(db)
        checks.check("upgrade heads again: pg_dump identical to the first upgrade", again == first,
                     diff(first, again, "first upgrade", "after the round trip"))

        # Every revision's downgrade reverts exactly its upgrade.
        for r in topological(revisions):
            lockstep("downgrade", "base")
            for p in r.parents + r.depends_on:
                lockstep("upgrade", p)
            before_rows = db.versions("lockstep_version")
            before = dump(db)
            lockstep("upgrade", r.id)
            applied = dump(db)
            lockstep("downgrade", "-1")
            after = dump(db)
            name = "%s (%s): downgrade reverts the upgrade" % (r.id, r.headers.get("message", ""))
            changes = applied != before or not r.upgrade
            ok = after == before and db.versions("lockstep_version") == before_rows and changes
            detail = diff(before, after, "before upgrade " + r.id, "after downgrade -1")
            if not changes:
                detail = "    the upgrade changed nothing in the schema"
            checks.check(name, ok, detail)
        return first
    except (RuntimeError, subprocess.SubprocessError) as e:
        checks.check("lockstep round trip of migrations/", False, "    %s" % e)
        return None
    finally:
        db.drop()
        shutil.rmtree(work, ignore_errors=True)


BIND_LIKE = re.compile(r"(?<![:\w\\]):(?=\w)")  # what SQLAlchemy's text() would take for :param


def write_alembic_project(folder, revisions):
    converted = []
    for r in revisions:
        up = BIND_LIKE.sub(r"\\:", r.upgrade)
        down = BIND_LIKE.sub(r"\\:", r.downgrade)
        converted.append(parity.Revision(r.id, r.parents, r.depends_on, r.labels,
                                         sql=([up] if up else [], [down] if down else [])))
    parity.write_alembic(folder, converted)


def check_alembic(checks, server, revisions, lockstep_dump):
    db = parity.Database(server, "example")
    work = tempfile.mkdtemp(prefix="lockstep-example-alembic-")
    try:
        folder = os.path.join(work, "alembic")
        write_alembic_project(folder, revisions)
        env = dict(os.environ, PARITY_ALEMBIC_URL=db.url.replace(
            "postgresql://", "postgresql+psycopg2://", 1))
        empty = dump(db)

        def alembic(*args):
            r = run([parity.ALEMBIC, "-c", os.path.join(folder, "alembic.ini")] + list(args),
                    env=env, cwd=work)
            if r.returncode != 0:
                raise RuntimeError("alembic %s exited %d:\n%s%s"
                                   % (" ".join(args), r.returncode, r.stdout, r.stderr[-3000:]))

        alembic("upgrade", "heads")
        checks.check("alembic upgrade heads: same version rows as lockstep",
                     db.versions("alembic_version") == heads(revisions),
                     "    alembic rows %s" % sorted(db.versions("alembic_version")))
        if lockstep_dump is not None:
            checks.check("alembic upgrade heads: pg_dump identical to lockstep's",
                         dump(db) == lockstep_dump,
                         diff(lockstep_dump, dump(db), "lockstep", "alembic"))
        alembic("downgrade", "base")
        checks.check("alembic downgrade base: the public schema is empty again",
                     dump(db) == empty, diff(empty, dump(db), "before", "after downgrade base"))
    except (RuntimeError, subprocess.SubprocessError) as e:
        checks.check("the same migrations through Alembic", False, "    %s" % e)
    finally:
        db.drop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    server = parity.Server(parity.server_url())
    binary = parity.lockstep_binary()
    checks = Checks()
    revisions = load()
    if check_files(checks, revisions):
        first = check_round_trip(checks, server, binary, revisions)
        check_alembic(checks, server, revisions, first)
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
