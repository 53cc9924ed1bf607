#!/usr/bin/python3
"""Alembic parity: the same revision graphs and the same commands through Alembic (Debian's
python3-alembic 1.8) and through lockstep, each on its own scratch database. After every command
the test compares

  - the exit status class (success vs failure; Alembic exits 1 where lockstep exits 2 or 5),
  - the version rows (Alembic's alembic_version vs lockstep's lockstep_version),
  - the effects: the tables and columns of the public schema (information_schema), the
    migrators' own tables excluded,
  - for `current` and `heads`, the revisions printed and whether each is marked `(head)` or
    `(effective head)`.

Each graph is written twice from one description: lockstep `.sql` files and Alembic revision
`.py` files with the same ids, `down_revision` (the parents' tuple), `branch_labels` and
`depends_on`, whose upgrade()/downgrade() run the same SQL with `op.execute`. Alembic's env.py
takes the scratch database's URL from the environment and configures
`transaction_per_migration=True`, which is lockstep's model (one transaction per revision).
Revisions create a table named after themselves, or add a column named after themselves to an
ancestor's table, so the schema shows exactly which revisions ran.

Deliberate differences. These commands run through lockstep only, which must give the outcome
written in the case (usually: refuse and change nothing); the Alembic side either stays as it is
or runs the Alembic command that has lockstep's documented effect, so the two databases stay
comparable. README "Where lockstep deliberately differs from Alembic" cites this list.

  D1  `downgrade -1` with several current heads is a usage error in lockstep (exit 2, listing
      the heads). Alembic warns and picks one of them.
  D2  `downgrade -N` at a merge revision takes the merge revision off (its parents become the
      current heads). Alembic calls the relative walk from a merge point ambiguous and fails.
  D3  `stamp X` while the database is at a merge that descends from X keeps the merge's other
      parents in the version table, exactly as `downgrade X` would have; Alembic's stamp replaces
      the merge row by X alone and forgets the other branch, whose tables are still there. The
      same goes for a `Depends On` of the revisions stamped away (at r1, which revises q2 and
      depends on p3, `stamp q2` leaves q2 and p3; Alembic leaves q2 alone).
  D4  A downgrade that would pass through an irreversible revision (lockstep: empty downgrade
      section; Alembic: a downgrade() that raises) fails in lockstep before anything runs.
      Alembic, with transaction_per_migration, commits the steps above it and then fails, leaving
      the database half way down.
  D5  `downgrade X` where X is applied only because a revision on another branch depends on it
      (at r1, which depends on p3, `downgrade p3`) is a no-op in lockstep: X is applied and
      nothing above it on its own branch is. Alembic refuses ("not a valid downgrade target from
      current head(s)") because X is no version row.

Bundles. Every lockstep command also runs from a bundle of the same files (`lockstep bundle`),
on a third database, and must give exactly what the folder gave: the exit code, the output (the
bundle's path read as the folder's), the version rows and the schema.

Not compared: the order in which independent branches run (neither tool promises one; it shows
only when `upgrade heads` fails part-way, so the cases avoid that); the wording of messages and
markers other than `(head)` and `(effective head)` (lockstep also prints labels after `current`
revisions).

Usage: parity_test.py [-k SUBSTRING] [--keep-going]
  LOCKSTEP_BINARY        the lockstep executable
  LOCKSTEP_TEST_PG_DIR   folder holding `url`, a superuser URL of a running PostgreSQL
A case goes on after a mismatch while the two databases still agree (only the exit status or
the output differed) and stops once they have diverged; --keep-going runs the remaining commands
anyway. PARITY_TIMING=1 prints how long each command took. The last line is
"N passed, M failed".
"""

import argparse
import concurrent.futures
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

import psycopg2

ALEMBIC = shutil.which("alembic", path="/usr/bin:/usr/local/bin") or "alembic"


def server_url():
    pg_dir = os.environ.get("LOCKSTEP_TEST_PG_DIR")
    if not pg_dir:
        sys.exit("LOCKSTEP_TEST_PG_DIR is not set (a folder whose `url` file names a running PostgreSQL)")
    with open(os.path.join(pg_dir, "url")) as f:
        return f.read().strip()


def lockstep_binary():
    binary = os.environ.get("LOCKSTEP_BINARY")
    if not binary or not os.access(binary, os.X_OK):
        sys.exit("LOCKSTEP_BINARY is not set to an executable lockstep (got %r)" % binary)
    return binary


# --------------------------------------------------------------------------------------------
# Scratch databases


class Server:
    def __init__(self, url):
        self.url = url

    def db_url(self, name):
        base, _, rest = self.url.rpartition("/")
        query = ("?" + rest.split("?", 1)[1]) if "?" in rest else ""
        return base + "/" + name + query

    def admin(self, sql):
        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()


class Database:
    def __init__(self, server, prefix="parity"):
        self.server = server
        self.name = "%s_%s" % (prefix, secrets.token_hex(6))
        server.admin("CREATE DATABASE " + self.name)
        self.url = server.db_url(self.name)

    def drop(self):
        self.server.admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)

    def query(self, sql, args=None):
        conn = psycopg2.connect(self.url)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            conn.close()

    def versions(self, table):
        if not self.query("SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0]:
            return frozenset()
        return frozenset(r[0] for r in self.query("SELECT version_num FROM " + table))

    def schema(self):
        """Tables and columns of the public schema, the migrators' own excluded."""
        rows = self.query(
            "SELECT table_name, NULL FROM information_schema.tables WHERE table_schema = 'public' "
            "UNION ALL "
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")
        own = lambda t: t == "alembic_version" or t.startswith("lockstep_")
        return frozenset(t if c is None else "%s.%s" % (t, c) for t, c in rows if not own(t))


# --------------------------------------------------------------------------------------------
# Graphs, written both ways


class Revision:
    """A revision of a test graph.

    table:   creates `t_<id>` (default) ...
    column:  ... or adds the column `c_<id>` to `t_<column>` (an ancestor's table);
    merge:   a merge with empty sections unless `sql` says otherwise;
    fail:    "upgrade" or "downgrade": that section fails (after a first statement that works,
             so the rollback shows); irreversible: no downgrade;
    sql:     (upgrade statements, downgrade statements) given as they are, instead of all that.
    """

    def __init__(self, rid, parents=(), depends_on=(), labels=(), column=None, merge=False,
                 fail=None, irreversible=False, sql=None):
        self.id = rid
        self.parents = list(parents)
        self.depends_on = list(depends_on)
        self.labels = list(labels)
        self.column = column
        self.merge = merge
        self.fail = fail
        self.irreversible = irreversible
        self.sql = sql

    @property
    def upgrade(self):
        if self.sql is not None:
            return list(self.sql[0])
        if self.merge and not self.column:
            return []
        if self.column:
            sql = ["ALTER TABLE t_%s ADD COLUMN c_%s int" % (self.column, self.id)]
        else:
            sql = ["CREATE TABLE t_%s (id int)" % self.id]
        if self.fail == "upgrade":
            sql.append("SELECT 1 / 0")
        return sql

    @property
    def downgrade(self):
        if self.sql is not None:
            return list(self.sql[1])
        if self.irreversible or (self.merge and not self.column):
            return []
        if self.column:
            sql = ["ALTER TABLE t_%s DROP COLUMN c_%s" % (self.column, self.id)]
        else:
            sql = ["DROP TABLE t_%s" % self.id]
        if self.fail == "downgrade":
            sql.append("SELECT 1 / 0")
        return sql


def write_lockstep(folder, revisions):
    os.makedirs(folder)
    for rev in revisions:
        lines = ["-- Revision ID: " + rev.id,
                 "-- Revises: " + ", ".join(rev.parents),
                 "-- Message: " + rev.id,
                 "-- Create Date: 2026-11-24T12:00:00Z"]
        if rev.labels:
            lines.append("-- Branch Labels: " + ", ".join(rev.labels))
        if rev.depends_on:
            lines.append("-- Depends On: " + ", ".join(rev.depends_on))
        lines += ["", "-- +upgrade"] + [s + ";" for s in rev.upgrade]
        lines += ["", "-- +downgrade"] + [s + ";" for s in rev.downgrade]
        with open(os.path.join(folder, "%s_%s.sql" % (rev.id, rev.id)), "w") as f:
            f.write("\n".join(lines) + "\n")


ALEMBIC_ENV_PY = textwrap.dedent('''\
    import os

    from alembic import context
    from sqlalchemy import create_engine

    engine = create_engine(os.environ["PARITY_ALEMBIC_URL"])
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None,
                          transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
''')

ALEMBIC_SCRIPT_MAKO = '''\
"""${message}"""
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
'''


def py_tuple(items):
    if not items:
        return "None"
    if len(items) == 1:
        return repr(items[0])
    return "(" + ", ".join(repr(i) for i in items) + ")"


def py_body(statements, irreversible=False):
    if irreversible:
        return "    raise NotImplementedError('irreversible')\n"
    if not statements:
        return "    pass\n"
    return "".join("    op.execute(%r)\n" % s for s in statements)


def write_alembic(folder, revisions):
    """An Alembic project: alembic.ini, env.py and one versions/<id>.py per revision."""
    os.makedirs(os.path.join(folder, "versions"))
    with open(os.path.join(folder, "alembic.ini"), "w") as f:
        f.write("[alembic]\nscript_location = %s\n" % folder)
    with open(os.path.join(folder, "env.py"), "w") as f:
        f.write(ALEMBIC_ENV_PY)
    with open(os.path.join(folder, "script.py.mako"), "w") as f:
        f.write(ALEMBIC_SCRIPT_MAKO)
    for rev in revisions:
        with open(os.path.join(folder, "versions", rev.id + ".py"), "w") as f:
            f.write('"""%s"""\nfrom alembic import op\n\n'
                    "revision = %r\ndown_revision = %s\nbranch_labels = %s\ndepends_on = %s\n\n\n"
                    "def upgrade():\n%s\n\ndef downgrade():\n%s"
                    % (rev.id, rev.id, py_tuple(rev.parents), py_tuple(rev.labels),
                       py_tuple(rev.depends_on), py_body(rev.upgrade),
                       py_body(rev.downgrade, rev.irreversible)))


# --------------------------------------------------------------------------------------------
# Commands and comparison


class LockstepOnly:
    """A command where lockstep deliberately differs from Alembic (see D1..D4 above).

    lockstep runs `args` and must succeed or fail as `ok` says; Alembic runs `alembic` instead
    (the command with lockstep's documented effect) or nothing, and then the states are compared
    as usual."""

    def __init__(self, why, args, ok, alembic=None):
        self.why = why
        self.args = args
        self.ok = ok
        self.alembic = alembic


def head_lines(stdout):
    """`current` / `heads` output as {(revision, head marker)}; labels and other markers aside."""
    out = set()
    for line in stdout.splitlines():
        line = line.strip()
        if not line or line.startswith(("INFO", "WARN", "20")):
            continue
        marker = ("(effective head)" if "(effective head)" in line
                  else "(head)" if "(head)" in line else "")
        out.add((line.split()[0], marker))
    return frozenset(out)


class Outcome:
    def __init__(self, proc, db, version_table, ran=True):
        self.ran = ran
        self.code = proc.returncode if proc else None
        self.ok = (self.code == 0) if proc else None
        self.stdout = proc.stdout if proc else ""
        self.stderr = proc.stderr if proc else ""
        self.versions = db.versions(version_table)
        self.schema = db.schema()


def tail(text, n=4):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return "\n".join("        | " + l for l in lines[-n:]) or "        | (nothing)"


def set_diff(label, a, l):
    if a == l:
        return []
    return ["    %s: alembic %s, lockstep %s (only alembic: %s; only lockstep: %s)"
            % (label, sorted(a), sorted(l), sorted(a - l), sorted(l - a))]


def bundle_diff(folder, bundled, ldir, bundle):
    """What lockstep did differently from the bundle than from the folder."""
    problems = []
    if bundled.code != folder.code:
        problems.append("    from the bundle: exit %s, from the folder: exit %s" % (bundled.code, folder.code))
    if bundled.stdout.replace(bundle, ldir) != folder.stdout:
        problems.append("    from the bundle the output differs:\n%s" % tail(bundled.stdout, 8))
    for label, f, b in (("version rows", folder.versions, bundled.versions),
                        ("tables/columns", folder.schema, bundled.schema)):
        if f != b:
            problems.append("    %s: from the folder %s, from the bundle %s" % (label, sorted(f), sorted(b)))
    return problems


class Case:
    def __init__(self, name, revisions, commands):
        self.name = name
        self.revisions = revisions
        self.commands = commands

    def run(self, server, lockstep, keep_going=False):
        work = tempfile.mkdtemp(prefix="lockstep-parity-")
        dbs = []
        log = []
        failures = []
        try:
            alembic_db = Database(server)
            dbs.append(alembic_db)
            lockstep_db = Database(server)
            dbs.append(lockstep_db)
            bundle_db = Database(server)
            dbs.append(bundle_db)
            ldir = os.path.join(work, "lockstep")
            adir = os.path.join(work, "alembic")
            write_lockstep(ldir, self.revisions)
            write_alembic(adir, self.revisions)
            bundle = os.path.join(work, "lockstep.bundle")
            subprocess.run([lockstep, "--migrations", ldir, "bundle", bundle], check=True,
                           stdout=subprocess.DEVNULL)
            aenv = dict(os.environ, PARITY_ALEMBIC_URL=alembic_db.url.replace(
                "postgresql://", "postgresql+psycopg2://", 1))
            lenv = {"PATH": "/usr/bin:/bin", "HOME": work}

            def start_alembic(args):
                return subprocess.Popen([ALEMBIC, "-c", os.path.join(adir, "alembic.ini")] + args,
                                        env=aenv, cwd=work, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)

            def start_lockstep(args, db=lockstep_db, migrations=ldir):
                return subprocess.Popen([lockstep, "--database-url", db.url,
                                         "--migrations", migrations, "--termination-log", os.devnull]
                                        + args, env=lenv, cwd=work, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)

            def finish(popen):
                if popen is None:
                    return None
                out, err = popen.communicate(timeout=120)
                return subprocess.CompletedProcess(popen.args, popen.returncode, out, err)

            for step, command in enumerate(self.commands, 1):
                deliberate = command if isinstance(command, LockstepOnly) else None
                args = deliberate.args if deliberate else command
                alembic_args = deliberate.alembic if deliberate else args
                shown = " ".join(args)
                if deliberate:
                    shown += "   [%s: lockstep only%s]" % (
                        deliberate.why,
                        "; alembic runs `%s`" % " ".join(alembic_args) if alembic_args else "")
                # The two tools work on different databases: run them side by side.
                pa = start_alembic(alembic_args) if alembic_args else None
                pl = start_lockstep(args)
                pb = start_lockstep(args, bundle_db, bundle)
                t0 = time.monotonic()
                a = Outcome(finish(pa), alembic_db, "alembic_version")
                t1 = time.monotonic()
                l = Outcome(finish(pl), lockstep_db, "lockstep_version")
                b = Outcome(finish(pb), bundle_db, "lockstep_version")
                if os.environ.get("PARITY_TIMING"):
                    print("  [%s] %s: alembic %.2fs, lockstep %.2fs more"
                          % (self.name, shown, t1 - t0, time.monotonic() - t1), flush=True)

                problems = []
                if deliberate:
                    if l.ok != deliberate.ok:
                        problems.append("    lockstep should %s here (%s) but exited %d"
                                        % ("succeed" if deliberate.ok else "fail", deliberate.why,
                                           l.code))
                    if a.ok is False:
                        problems.append("    the Alembic stand-in `%s` failed (exit %d)"
                                        % (" ".join(alembic_args), a.code))
                elif a.ok != l.ok:
                    problems.append("    exit status: alembic %s (%d), lockstep %s (%d)"
                                    % ("ok" if a.ok else "FAILED", a.code,
                                       "ok" if l.ok else "FAILED", l.code))
                problems += set_diff("version rows", a.versions, l.versions)
                problems += set_diff("tables/columns", a.schema, l.schema)
                if not deliberate and args[0] in ("current", "heads") and a.ok and l.ok:
                    problems += set_diff("printed (revision, head marker)", head_lines(a.stdout),
                                         head_lines(l.stdout))
                problems += bundle_diff(l, b, ldir, bundle)
                log.append("    %2d. %s%s" % (step, shown, "   <- differs" if problems else ""))
                if problems:
                    failures.append(
                        "  step %d: `%s`\n%s\n      alembic  exit %s, output:\n%s\n"
                        "      lockstep exit %s, output:\n%s"
                        % (step, shown, "\n".join(problems), a.code, tail(a.stdout + a.stderr),
                           l.code, tail(l.stdout + l.stderr)))
                    diverged = (a.versions != l.versions or a.schema != l.schema or
                                b.versions != l.versions or b.schema != l.schema)
                    if diverged and not keep_going:
                        if step < len(self.commands):
                            failures.append("  (stopped: the databases diverged; %d later "
                                            "command(s) not compared)"
                                            % (len(self.commands) - step))
                        break
        except Exception as e:  # a broken harness is a failed case, not a crash of the run
            failures.append("  harness error: %r" % (e,))
        finally:
            if failures:
                failures.append("  commands run:\n" + "\n".join(log))
            for db in dbs:
                try:
                    db.drop()
                except Exception as e:
                    failures.append("  could not drop %s: %r" % (db.name, e))
            shutil.rmtree(work, ignore_errors=True)
        return failures


# --------------------------------------------------------------------------------------------
# The cases

R = Revision
L = LockstepOnly

CASES = [
    Case("linear",
         [R("a1"), R("a2", ["a1"], column="a1"), R("a3", ["a2"]), R("a4", ["a3"], column="a3")],
         [["current"], ["upgrade", "head"], ["current"], ["heads"],
          ["downgrade", "-1"], ["downgrade", "-2"], ["upgrade", "+1"], ["upgrade", "+2"],
          ["upgrade", "+1"],                       # already at head: nothing to walk
          ["downgrade", "base"],
          ["downgrade", "-1"],                     # at base
          ["upgrade", "a1+2"], ["upgrade", "a2+1"], ["downgrade", "a4-2"],
          ["upgrade", "a4"], ["downgrade", "a2"],
          ["downgrade", "a3"],                     # not below the current revision
          ["upgrade", "a1"],                       # already applied: nothing to do
          ["upgrade", "head"], ["upgrade", "heads"],
          ["stamp", "a2"], ["current"], ["downgrade", "-1"],
          ["stamp", "base"], ["current"], ["upgrade", "a2"],
          ["stamp", "head"], ["stamp", "--purge", "a3"], ["downgrade", "a1"],
          ["upgrade", "nosuchrev"], ["downgrade", "nosuchrev"], ["stamp", "nosuchrev"],
          ["upgrade", "a2-5"],
          ["downgrade", "base"]]),

    Case("prefixes of 12-hex ids",
         [R("3f2a9c1e7b4d"), R("3f2a9c1e0000", ["3f2a9c1e7b4d"]),
          R("3f2b11112222", ["3f2a9c1e0000"], column="3f2a9c1e7b4d"),
          R("9e0d5a6b7c8d", ["3f2b11112222"])],
         [["upgrade", "3f2a"],                     # ambiguous prefix
          ["upgrade", "3f2a9c1e7"], ["upgrade", "3f2b"], ["current"],
          ["downgrade", "3f2a9c1e"],               # ambiguous
          ["downgrade", "3f2a9c1e0"], ["upgrade", "9e"], ["downgrade", "3f2b-1"],
          ["stamp", "9e0d"], ["current"], ["downgrade", "3f2b1"], ["upgrade", "3f2a9c1e0+2"],
          ["downgrade", "base"]]),

    Case("branches and a merge",
         [R("a"), R("b1", ["a"]), R("b2", ["b1"], column="b1"), R("c1", ["a"], column="a"),
          R("m", ["b2", "c1"], merge=True), R("d", ["m"]),
          R("e", ["d"]), R("f", ["e"], column="a")],
         [["upgrade", "b1"], ["upgrade", "c1"], ["current"], ["upgrade", "heads"], ["current"],
          ["downgrade", "b1"], ["current"], ["downgrade", "c1"], ["upgrade", "m"], ["current"],
          L("D2", ["downgrade", "-1"], True, alembic=["stamp", "--purge", "b2", "c1"]),
          ["current"], ["upgrade", "m"],
          ["downgrade", "a"], ["upgrade", "b2"], ["upgrade", "b1+1"], ["upgrade", "c1+1"],
          ["upgrade", "head"], ["downgrade", "c1"], ["downgrade", "base"],
          ["upgrade", "d"], ["downgrade", "m"], ["upgrade", "m+2"], ["downgrade", "e-2"],
          ["downgrade", "c1"], ["stamp", "b1"], ["stamp", "b2"], ["upgrade", "heads"],
          ["downgrade", "-3"],
          L("D3", ["stamp", "b1"], True, alembic=["stamp", "--purge", "b1", "c1"]),
          ["current"],
          ["downgrade", "base"]]),

    Case("several roots with branch labels",
         [R("x1", labels=["xb"]), R("x2", ["x1"]), R("x3", ["x2"], column="x2"),
          R("y1", labels=["yb", "yother"]), R("y2", ["y1"], column="y1")],
         [["heads"],
          ["upgrade", "+1"],                       # two roots: ambiguous
          ["upgrade", "xb@head"], ["upgrade", "y1"],
          ["upgrade", "+1"],                       # several current revisions: ambiguous
          ["upgrade", "yb@head"], ["current"],
          ["downgrade", "xb@base"], ["current"], ["upgrade", "heads"],
          ["downgrade", "yb@-1"], ["downgrade", "xb@-2"], ["current"],
          ["upgrade", "head"],                     # several heads: ambiguous
          L("D1", ["downgrade", "-1"], False),
          ["upgrade", "xb@+1"], ["upgrade", "yother@head"], ["upgrade", "heads"],
          ["downgrade", "yb@base"], ["upgrade", "yb"], ["downgrade", "xb@x1"],
          ["upgrade", "xb@x2"], ["upgrade", "yb@y1+1"], ["upgrade", "nolabel@head"],
          ["stamp", "xb@head"], ["current"], ["stamp", "--purge", "yb@head"], ["current"],
          ["upgrade", "heads"], ["downgrade", "base"]]),

    Case("a dependency across branches",
         [R("p1"), R("p2", ["p1"], column="p1"), R("q1", depends_on=["p2"]),
          R("q2", ["q1"], column="q1"), R("p3", ["p2"]), R("r1", ["q2"], depends_on=["p3"])],
         [["upgrade", "q1"], ["current"], ["upgrade", "q2"], ["upgrade", "p3"], ["current"],
          ["downgrade", "p2"], ["current"], ["downgrade", "p1"], ["upgrade", "heads"],
          ["current"], ["heads"], ["downgrade", "q2"], ["downgrade", "q1"],
          ["downgrade", "base"], ["upgrade", "r1"], ["current"],
          L("D5", ["downgrade", "p3"], True),      # p3 is applied only as r1's dependency
          ["downgrade", "q2"], ["current"], ["upgrade", "r1"],
          L("D3", ["stamp", "q2"], True, alembic=["stamp", "--purge", "q2", "p3"]),
          ["upgrade", "heads"], ["downgrade", "p2"], ["current"], ["upgrade", "heads"],
          ["downgrade", "q1"], ["current"], ["upgrade", "r1"], ["downgrade", "p1"],
          ["upgrade", "p3"], ["upgrade", "q1"], ["stamp", "p2"], ["current"],
          ["downgrade", "base"]]),

    Case("failing and irreversible revisions",
         [R("f1", labels=["f"]), R("f2", ["f1"], column="f1"), R("f3", ["f2"], fail="upgrade"),
          R("f4", ["f3"]), R("g1", labels=["g"]), R("g2", ["g1"], irreversible=True),
          R("g3", ["g2"]), R("g4", ["g3"], fail="downgrade")],
         [["upgrade", "f@head"],                   # f3 fails: f1 and f2 stay (a transaction each)
          ["current"], ["upgrade", "f2+1"],
          ["stamp", "f3"], ["upgrade", "f4"],
          ["downgrade", "f@base"],                 # f3's downgrade drops a table it never made
          ["stamp", "f2"], ["downgrade", "base"],
          ["upgrade", "g@head"],
          ["downgrade", "g2"],                     # g4's downgrade fails first
          ["stamp", "g3"],
          L("D4", ["downgrade", "base"], False),   # through g2, which is irreversible
          ["downgrade", "g2"],
          ["downgrade", "g1"],                     # g2 irreversible, and the first step
          ["downgrade", "base"],
          ["stamp", "g1"], ["downgrade", "base"]]),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", default="", help="run only the cases whose name contains this")
    parser.add_argument("--keep-going", action="store_true",
                        help="compare the remaining commands of a case after a mismatch")
    options = parser.parse_args()
    server = Server(server_url())
    lockstep = lockstep_binary()
    cases = [c for c in CASES if options.k in c.name]
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = [(c, pool.submit(c.run, server, lockstep, options.keep_going)) for c in cases]
        for case, future in results:
            failures = future.result()
            if failures:
                failed += 1
                print("FAIL %s\n%s" % (case.name, "\n".join(failures)), flush=True)
            else:
                passed += 1
                print("ok   %s (%d commands)" % (case.name, len(case.commands)), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
