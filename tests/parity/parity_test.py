#!/usr/bin/python3
"""Alembic parity: run the same revision graphs and the same commands through
Alembic and through lockstep, each on its own scratch database, and after
every command compare

  - the version rows (alembic_version vs lockstep_version),
  - the effects (the tables in the public schema, migrators' own excluded),
  - whether the command succeeded.

Every revision creates a table named after itself on the way up and drops it
on the way down (merge revisions do nothing), so the tables present say
exactly which revisions are applied.

Deliberate differences, not compared here (the README lists them):
  - `downgrade -1` when the database is at a merge revision: lockstep reverts
    the merge revision; Alembic walks down the parents and calls it ambiguous.
  - `downgrade -1` with several current heads: lockstep refuses and lists
    them; Alembic warns and picks one.
  - `stamp X` while the database is at a merge that descends from X:
    lockstep keeps the merge's other parents applied, exactly as
    `downgrade X` would; Alembic's stamp replaces the merge row with X and
    forgets the other branch, whose tables are still there.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap

import psycopg2

PG_DIR = os.environ["LOCKSTEP_TEST_PG_DIR"]
LOCKSTEP = os.environ["LOCKSTEP_BINARY"]
with open(os.path.join(PG_DIR, "url")) as f:
    SERVER_URL = f.read().strip()


def db_url(name):
    return SERVER_URL.rsplit("/", 1)[0] + "/" + name


def admin(sql):
    conn = psycopg2.connect(SERVER_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


class Database:
    def __init__(self):
        self.name = "parity_" + secrets.token_hex(6)
        admin("CREATE DATABASE " + self.name)
        self.url = db_url(self.name)

    def drop(self):
        admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)

    def rows(self, sql):
        conn = psycopg2.connect(self.url)
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = cur.fetchall()
        conn.close()
        return rows

    def versions(self, table):
        exists = self.rows("SELECT to_regclass('%s') IS NOT NULL" % table)[0][0]
        if not exists:
            return set()
        return {r[0] for r in self.rows("SELECT version_num FROM " + table)}

    def tables(self):
        return {r[0] for r in self.rows(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' AND tablename NOT LIKE 'lockstep\\_%'")}


class Revision:
    def __init__(self, rid, parents=(), depends_on=(), labels=(), merge=False):
        self.id = rid
        self.parents = list(parents)
        self.depends_on = list(depends_on)
        self.labels = list(labels)
        self.merge = merge

    @property
    def upgrade(self):
        return "" if self.merge else "CREATE TABLE t_%s (id int)" % self.id

    @property
    def downgrade(self):
        return "" if self.merge else "DROP TABLE t_%s" % self.id


def write_lockstep(folder, revisions):
    for rev in revisions:
        headers = ["-- Revision ID: " + rev.id, "-- Revises: " + ", ".join(rev.parents), "-- Message: " + rev.id]
        if rev.labels:
            headers.append("-- Branch Labels: " + ", ".join(rev.labels))
        if rev.depends_on:
            headers.append("-- Depends On: " + ", ".join(rev.depends_on))
        body = "\n".join(headers) + "\n\n-- +upgrade\n"
        body += (rev.upgrade + ";\n") if rev.upgrade else ""
        body += "\n-- +downgrade\n"
        body += (rev.downgrade + ";\n") if rev.downgrade else ""
        with open(os.path.join(folder, rev.id + ".sql"), "w") as f:
            f.write(body)


ENV_PY = textwrap.dedent('''
    import os
    from alembic import context
    from sqlalchemy import create_engine

    def run():
        engine = create_engine(os.environ["PARITY_ALEMBIC_URL"])
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=None,
                              transaction_per_migration=True)
            with context.begin_transaction():
                context.run_migrations()

    run()
''')


def tuple_literal(items):
    if not items:
        return "None"
    if len(items) == 1:
        return repr(items[0])
    return "(" + ", ".join(repr(i) for i in items) + ")"


def write_alembic(folder, revisions):
    versions = os.path.join(folder, "versions")
    os.makedirs(versions)
    with open(os.path.join(folder, "env.py"), "w") as f:
        f.write(ENV_PY)
    with open(os.path.join(folder, "alembic.ini"), "w") as f:
        f.write("[alembic]\nscript_location = %s\n" % folder)
    for rev in revisions:
        up = "    op.execute(%r)\n" % rev.upgrade if rev.upgrade else "    pass\n"
        down = "    op.execute(%r)\n" % rev.downgrade if rev.downgrade else "    pass\n"
        with open(os.path.join(versions, rev.id + ".py"), "w") as f:
            f.write("from alembic import op\n\n"
                    "revision = %r\ndown_revision = %s\nbranch_labels = %s\ndepends_on = %s\n\n"
                    "def upgrade():\n%s\ndef downgrade():\n%s"
                    % (rev.id, tuple_literal(rev.parents), tuple_literal(rev.labels),
                       tuple_literal(rev.depends_on), up, down))


class Case:
    def __init__(self, name, revisions, commands):
        self.name = name
        self.revisions = revisions
        self.commands = commands

    def run(self):
        work = tempfile.mkdtemp(prefix="lockstep-parity-")
        alembic_db = Database()
        lockstep_db = Database()
        failures = []
        try:
            lockstep_dir = os.path.join(work, "lockstep")
            alembic_dir = os.path.join(work, "alembic")
            os.makedirs(lockstep_dir)
            write_lockstep(lockstep_dir, self.revisions)
            write_alembic(alembic_dir, self.revisions)
            alembic_env = dict(os.environ, PARITY_ALEMBIC_URL=alembic_db.url.replace(
                "postgresql://", "postgresql+psycopg2://", 1))
            for command in self.commands:
                a = subprocess.run(["/usr/bin/alembic", "-c", os.path.join(alembic_dir, "alembic.ini")] + command,
                                   env=alembic_env, capture_output=True, text=True)
                l = subprocess.run([LOCKSTEP, "--database-url", lockstep_db.url, "--migrations", lockstep_dir]
                                   + command, capture_output=True, text=True,
                                   env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
                state_a = (a.returncode == 0, alembic_db.versions("alembic_version"), alembic_db.tables())
                state_l = (l.returncode == 0, lockstep_db.versions("lockstep_version"), lockstep_db.tables())
                if state_a != state_l:
                    failures.append(
                        "  after `%s`:\n    alembic : ok=%s rows=%s tables=%s\n    lockstep: ok=%s rows=%s tables=%s\n"
                        "    alembic stderr: %s\n    lockstep stderr: %s"
                        % (" ".join(command), state_a[0], sorted(state_a[1]), sorted(state_a[2]),
                           state_l[0], sorted(state_l[1]), sorted(state_l[2]),
                           a.stderr.strip().splitlines()[-1:] if a.stderr.strip() else "",
                           l.stderr.strip().splitlines()[-1:] if l.stderr.strip() else ""))
        finally:
            alembic_db.drop()
            lockstep_db.drop()
            shutil.rmtree(work, ignore_errors=True)
        return failures


R = Revision
CASES = [
    Case("linear",
         [R("a1"), R("a2", ["a1"]), R("a3", ["a2"])],
         [["upgrade", "head"], ["downgrade", "-1"], ["downgrade", "base"], ["upgrade", "+2"], ["upgrade", "+1"],
          ["upgrade", "+1"], ["downgrade", "a1"], ["upgrade", "a1+1"], ["downgrade", "a2-1"], ["stamp", "a3"],
          ["downgrade", "-2"], ["stamp", "base"], ["upgrade", "a2"], ["upgrade", "nosuchrev"], ["downgrade", "base"]]),
    Case("branches and a merge",
         [R("a"), R("b1", ["a"]), R("b2", ["b1"]), R("c1", ["a"]), R("m", ["b2", "c1"], merge=True),
          R("d", ["m"])],
         [["upgrade", "b1"], ["upgrade", "c1"], ["upgrade", "heads"], ["downgrade", "b1"], ["downgrade", "c1"],
          ["upgrade", "m"], ["downgrade", "a"], ["upgrade", "b2"], ["upgrade", "head"], ["downgrade", "c1"],
          ["downgrade", "base"], ["upgrade", "d"], ["downgrade", "m"], ["downgrade", "c1"], ["stamp", "b1"],
          ["stamp", "b2"], ["upgrade", "heads"], ["downgrade", "base"]]),
    Case("several roots with branch labels",
         [R("x1", labels=["xb"]), R("x2", ["x1"]), R("x3", ["x2"]), R("y1", labels=["yb"]), R("y2", ["y1"])],
         [["upgrade", "xb@head"], ["upgrade", "yb@head"], ["downgrade", "xb@base"], ["upgrade", "heads"],
          ["downgrade", "yb@-1"], ["downgrade", "xb@-2"], ["upgrade", "head"], ["upgrade", "xb@+1"],
          ["upgrade", "heads"], ["downgrade", "base"]]),
    Case("a dependency across branches",
         [R("p1"), R("p2", ["p1"]), R("q1", depends_on=["p2"]), R("q2", ["q1"]), R("p3", ["p2"])],
         [["upgrade", "q1"], ["upgrade", "q2"], ["upgrade", "p3"], ["downgrade", "p2"], ["downgrade", "p1"],
          ["upgrade", "heads"],
          ["downgrade", "q1"], ["downgrade", "base"], ["stamp", "q2"], ["upgrade", "heads"]]),
]


def main():
    passed = failed = 0
    for case in CASES:
        failures = case.run()
        if failures:
            failed += 1
            print("FAIL %s\n%s" % (case.name, "\n".join(failures)))
        else:
            passed += 1
            print("ok   %s (%d commands)" % (case.name, len(case.commands)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
