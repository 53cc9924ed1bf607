#!/usr/bin/python3
"""scripts/alembic-to-lockstep on a real Alembic project, and lockstep taking over its databases.

tests/parity/alembic_project is written the way `alembic revision` writes them: op.create_table,
a batch operation, bulk_insert with quotes and a percent sign, an enum created through
op.get_bind(), an autocommit block (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE), a branch
label and a merge, a second root that depends on the first, a data backfill with an
is_offline_mode() branch, and a revision whose downgrade does nothing. Debian's Alembic 1.8
runs it online; lockstep runs what the converter wrote.

  1. The conversion: one file per revision with the same ids, parents, labels (on the revision
     that declares them only), dependencies as full ids, Transactional: false where an autocommit
     block is entered; lockstep and Alembic agree on the heads; the converter says which
     revision lockstep will not downgrade through.
  2. A new database: `lockstep upgrade heads` builds what `alembic upgrade heads` builds (pg_dump
     of the public schema, the seeded rows, the version rows).
  3. Take-over: a database Alembic left at a revision part way (on the trunk, on a branch, at the
     merge) is finished by lockstep with `--version-table alembic_version`: exactly the missing
     revisions run, and it ends as Alembic would have left it; Alembic still reads it after.
  4. Downgrade: lockstep's converted downgrade sections revert as Alembic's downgrade() does; a
     downgrade through the revision whose downgrade does nothing is refused and changes nothing.
  5. alembic_additions/converted_with_notes: a downgrade() that raises, one Alembic cannot render
     (an unnamed constraint) and `op.get_bind().commit()` before CREATE INDEX CONCURRENTLY (the
     SQLAlchemy 2 idiom, which Debian's SQLAlchemy 1.4 cannot run online, so lockstep alone runs
     these) are converted, each said with its file and line, run, and refused on the way down.
  6. alembic_additions/unconvertible: what cannot be converted (a revision that reads the
     database without an offline branch, a branch label lockstep cannot read back, a revision id
     lockstep cannot store) is exit 2, every one named with its file (and line), and nothing is
     written; so is an output folder in use.

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
import example_migrations_test as example  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROJECT = os.path.join(HERE, "alembic_project")
ADDITIONS = os.path.join(HERE, "alembic_additions")  # revisions some checks add to a copy of it
CONVERTER = os.path.join(REPO, "scripts", "alembic-to-lockstep")
PYTHON = "/usr/bin/python3"  # Debian's, which has Debian's Alembic

TRUNK = ["3e1a5c7b9d20", "8b2d4f6a1c3e", "c4e6a8b0d2f1"]
HEADS = {"2c4e6a8c0e1f", "7e9a1c3e5b6d"}


def convert(project, out, work):
    return example.run([PYTHON, CONVERTER, "-c", os.path.join(project, "alembic.ini"), out], cwd=work,
                       env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


class Tools:
    """alembic and lockstep on one database, each raising on an unexpected exit status."""

    def __init__(self, binary, migrations, db, work):
        self.binary, self.migrations, self.db, self.work = binary, migrations, db, work

    def alembic(self, *args):
        r = example.run([parity.ALEMBIC, "-c", os.path.join(PROJECT, "alembic.ini")] + list(args),
                        env=dict(os.environ, ALEMBIC_TEST_URL=self.db.url, PYTHONDONTWRITEBYTECODE="1"), cwd=self.work)
        if r.returncode != 0:
            raise RuntimeError("alembic %s exited %d:\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                                r.stderr[-3000:]))
        return r

    def lockstep(self, *args, expect=0, level="warn"):
        r = example.run([self.binary, "--database-url", self.db.url, "--migrations", self.migrations,
                         "--version-table", "alembic_version", "--termination-log", os.devnull,
                         "--log-level", level] + list(args),
                        env={"PATH": "/usr/bin:/bin", "HOME": self.work}, cwd=self.work)
        if r.returncode != expect:
            raise RuntimeError("lockstep %s exited %d, not %d:\n%s%s" % (" ".join(args), r.returncode, expect,
                                                                        r.stdout, r.stderr[-3000:]))
        return r


def roles(db):
    return db.query("SELECT id, name, note FROM roles ORDER BY id") if db.query(
        "SELECT to_regclass('roles') IS NOT NULL")[0][0] else []


def check_conversion(checks, out, result, binary, work):
    checks.check("the converter exits 0 and says what it wrote", result.returncode == 0 and
                 "Wrote 9 revision(s)" in result.stdout, result.stdout + result.stderr[-2000:])
    files = sorted(os.listdir(out)) if os.path.isdir(out) else []
    by_id = {f.split("_", 1)[0]: os.path.join(out, f) for f in files}
    checks.check("one file per revision, named <revision>_<slug>.sql", len(files) == 9 and
                 "c4e6a8b0d2f1_seed_roles.sql" in files and
                 "f0a2c4e6b8d1_merge_roles_and_publishing.sql" in files, str(files))
    umask = os.umask(0)
    os.umask(umask)
    checks.check("the folder is made as mkdir makes one (an image's other user can read it)",
                 os.path.isdir(out) and os.stat(out).st_mode & 0o777 == 0o777 & ~umask,
                 oct(os.stat(out).st_mode) if os.path.isdir(out) else "no folder")
    if len(by_id) != 9:
        return False
    h = {rid: example.RevisionFile(path).headers for rid, path in by_id.items()}
    checks.check("Revises: the parents, both of them at the merge, none at a root",
                 h["f0a2c4e6b8d1"]["revises"] == "c4e6a8b0d2f1, d9f1b3c5e7a2" and
                 h["3e1a5c7b9d20"]["revises"] == "" and h["7e9a1c3e5b6d"]["revises"] == "" and
                 h["8b2d4f6a1c3e"]["revises"] == "3e1a5c7b9d20", str(h))
    labelled = {rid: v["branch labels"] for rid, v in h.items() if "branch labels" in v}
    checks.check("Branch Labels only where declared (Alembic hands them down the branch)",
                 labelled == {"5a7c9e1b3d4f": "publishing", "7e9a1c3e5b6d": "audit"}, str(labelled))
    checks.check("Depends On: the full revision id", h["7e9a1c3e5b6d"].get("depends on") == "3e1a5c7b9d20",
                 str(h["7e9a1c3e5b6d"]))
    non_transactional = {rid for rid, v in h.items() if v.get("transactional") == "false"}
    checks.check("Transactional: false exactly where an autocommit block is entered",
                 non_transactional == {"d9f1b3c5e7a2"}, str(non_transactional))
    checks.check("Message and Create Date from the docstring",
                 h["c4e6a8b0d2f1"].get("message") == "seed roles" and
                 h["c4e6a8b0d2f1"].get("create date") == "2024-03-18 14:40:03.905112", str(h["c4e6a8b0d2f1"]))
    with open(by_id["c4e6a8b0d2f1"]) as f:
        seed = f.read()
    checks.check("bulk_insert rows as literals, quotes doubled, the percent sign single",
                 "'edits everyone''s posts; 100% trusted'" in seed, seed)
    checks.check("the converter names the revision lockstep will not downgrade through",
                 "2c4e6a8c0e1f_drop_legacy_body.py: downgrade() emits nothing" in result.stdout, result.stdout)
    heads = example.run([binary, "--migrations", out, "heads"], env={"PATH": "/usr/bin:/bin"}, cwd=work)
    printed = {line.split()[0] for line in heads.stdout.splitlines() if line.strip()}
    checks.check("lockstep heads: the heads Alembic has", heads.returncode == 0 and printed == HEADS,
                 heads.stdout + heads.stderr)
    return True


def check_new_database(checks, server, binary, out, work):
    a, b = parity.Database(server, "from_alembic"), parity.Database(server, "from_alembic")
    try:
        Tools(binary, out, a, work).alembic("upgrade", "heads")
        Tools(binary, out, b, work).lockstep("upgrade", "heads")
        checks.check("new database: lockstep builds the schema Alembic builds (pg_dump)",
                     example.dump(a) == example.dump(b), example.diff(example.dump(a), example.dump(b), "alembic",
                                                                      "lockstep"))
        checks.check("new database: the same seeded rows", roles(a) == roles(b) and len(roles(b)) == 3,
                     "%s\n%s" % (roles(a), roles(b)))
        checks.check("new database: the same version rows", a.versions("alembic_version") == HEADS ==
                     b.versions("alembic_version"), "%s %s" % (a.versions("alembic_version"),
                                                               b.versions("alembic_version")))
        return example.dump(a)
    finally:
        a.drop()
        b.drop()


def check_take_over(checks, server, binary, out, work, reference):
    # Alembic's version rows at each point, and how many revisions are left to run from there
    for point, left in (("c4e6a8b0d2f1", 6), ("d9f1b3c5e7a2", 5), ("f0a2c4e6b8d1", 3)):
        db = parity.Database(server, "from_alembic")
        try:
            tools = Tools(binary, out, db, work)
            tools.alembic("upgrade", point)
            current = tools.lockstep("current").stdout
            checks.check("take-over at %s: lockstep current reads Alembic's version row" % point,
                         current.split()[:1] == [point], current)
            up = tools.lockstep("upgrade", "heads", level="info")
            ran = re.findall(r"Running upgrade .*? -> (\w+)", up.stderr)
            checks.check("take-over at %s: exactly the %d revisions Alembic had not run" % (point, left),
                         len(ran) == left and not set(ran) & {point, *TRUNK[:1]}, up.stderr[-2000:])
            checks.check("take-over at %s: the database ends as Alembic leaves it" % point,
                         example.dump(db) == reference and len(roles(db)) == 3 and
                         db.versions("alembic_version") == HEADS,
                         example.diff(reference, example.dump(db), "alembic", "lockstep"))
            again = tools.alembic("current")
            checks.check("take-over at %s: Alembic still reads the database after" % point,
                         set(re.findall(r"^(\w+) \(head\)", again.stdout, re.MULTILINE)) == HEADS,
                         again.stdout + again.stderr[-1000:])
        except RuntimeError as e:
            checks.check("take-over at %s" % point, False, "    %s" % e)
        finally:
            db.drop()


def check_downgrade(checks, server, binary, out, work):
    a, b = parity.Database(server, "from_alembic"), parity.Database(server, "from_alembic")
    try:
        alembic_side, lockstep_side = Tools(binary, out, a, work), Tools(binary, out, b, work)
        for tools in (alembic_side, lockstep_side):
            tools.alembic("upgrade", "f0a2c4e6b8d1")
        alembic_side.alembic("downgrade", "8b2d4f6a1c3e")
        lockstep_side.lockstep("downgrade", "8b2d4f6a1c3e")  # through the merge, both branches
        checks.check("downgrade through the merge and the autocommit block: as Alembic's downgrade()",
                     example.dump(a) == example.dump(b) and
                     a.versions("alembic_version") == b.versions("alembic_version") == {"8b2d4f6a1c3e"},
                     example.diff(example.dump(a), example.dump(b), "alembic", "lockstep") +
                     "\n%s %s" % (a.versions("alembic_version"), b.versions("alembic_version")))
        lockstep_side.lockstep("upgrade", "heads")
        before = example.dump(b)
        refused = lockstep_side.lockstep("downgrade", "f0a2c4e6b8d1", expect=2)
        checks.check("a downgrade through the revision whose downgrade does nothing: refused, nothing run",
                     "2c4e6a8c0e1f" in refused.stderr and "irreversible" in refused.stderr and
                     example.dump(b) == before and b.versions("alembic_version") == HEADS, refused.stderr)
    except RuntimeError as e:
        checks.check("downgrade", False, "    %s" % e)
    finally:
        a.drop()
        b.drop()




def project_with(work, additions):
    """A copy of alembic_project with the revisions of alembic_additions/<additions> added."""
    project = os.path.join(work, additions)
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__"))
    folder = os.path.join(ADDITIONS, additions)
    for name in os.listdir(folder):
        shutil.copy(os.path.join(folder, name), os.path.join(project, "versions", name))
    return project


def check_notes(checks, server, binary, work):
    out = os.path.join(work, "noted_out")
    r = convert(project_with(work, "converted_with_notes"), out, work)
    checks.check("downgrades that raise or cannot be rendered, a commit(): converted, exit 0",
                 r.returncode == 0 and "Wrote 12 revision(s)" in r.stdout, r.stdout + r.stderr[-2000:])
    if r.returncode != 0:
        return
    text = {f.split("_", 1)[0]: open(os.path.join(out, f)).read() for f in os.listdir(out)}
    checks.check("a downgrade() that raises (Alembic's 'irreversible'): an empty section, and said",
                 re.search(r"0b0b0b0b0b01_drop_reader_role\.py:22: downgrade\(\) raises RuntimeError: Cannot "
                           r"undelete data!: written as irreversible", r.stdout) is not None and
                 text["0b0b0b0b0b01"].endswith("-- +downgrade\n"), r.stdout)
    checks.check("op.get_bind().commit() before an autocommit block: Transactional: false, and said",
                 "-- Transactional: false" in text["0b0b0b0b0b02"] and
                 "0b0b0b0b0b02_index_users_email_concurrently.py: Transactional: false" in r.stdout and
                 "CREATE INDEX CONCURRENTLY ix_users_email_lower ON users (lower(email));" in text["0b0b0b0b0b02"],
                 r.stdout + text["0b0b0b0b0b02"])
    checks.check("a downgrade() Alembic cannot render (an unnamed constraint): irreversible, its line named",
                 re.search(r"0b0b0b0b0b03_roles_fk_on_delete\.py:23: downgrade\(\) cannot be rendered offline "
                           r"\(CompileError: .*\): written as irreversible", r.stdout) is not None and
                 text["0b0b0b0b0b03"].endswith("-- +downgrade\n"), r.stdout)
    db = parity.Database(server, "from_alembic")
    try:
        tools = Tools(binary, out, db, work)
        tools.lockstep("upgrade", "heads")
        checks.check("lockstep runs them: the role gone, the index built outside a transaction",
                     len(roles(db)) == 2 and db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                                                       "'ix_users_email_lower'::regclass") == [(True,)],
                     str(roles(db)))
        before = example.dump(db)
        refused = tools.lockstep("downgrade", "2c4e6a8c0e1f", expect=2)
        checks.check("and refuses to downgrade through them, running nothing",
                     "irreversible" in refused.stderr and example.dump(db) == before, refused.stderr)
    except RuntimeError as e:
        checks.check("the converted revisions with notes, through lockstep", False, "    %s" % e)
    finally:
        db.drop()


def check_refusals(checks, work):
    out = os.path.join(work, "bad_out")
    r = convert(project_with(work, "unconvertible"), out, work)
    err = r.stderr
    checks.check("unconvertible revisions: exit 2, all three listed, nothing written",
                 r.returncode == 2 and "3 revision(s) cannot be converted; nothing was written" in err and
                 not os.path.exists(out) and
                 not [n for n in os.listdir(work) if n.startswith(".alembic-to-lockstep-")], err)
    checks.check("a revision that reads the database: its file and the line, and what to do",
                 re.search(r"0a0a0a0a0a01_count_users\.py:18: revision 0a0a0a0a0a01: upgrade\(\) cannot be "
                           r"rendered offline: AttributeError", err) is not None and "is_offline_mode()" in err, err)
    checks.check("a branch label lockstep cannot read back: named",
                 "0a0a0a0a0a02_release.py: revision 0a0a0a0a0a02: branch label 'release-2'" in err, err)
    checks.check("a revision id lockstep cannot store: named",
                 "custom_id.py: revision 20240603_add_search_index_to_posts: revision id "
                 "'20240603_add_search_index_to_posts'" in err, err)

    used = os.path.join(work, "used")
    os.makedirs(used)
    with open(os.path.join(used, "keep.sql"), "w") as f:
        f.write("-- someone's file\n")
    r = convert(PROJECT, used, work)
    checks.check("an output folder that is not empty: exit 2, left as it was",
                 r.returncode == 2 and "exists and is not an empty folder" in r.stderr and
                 os.listdir(used) == ["keep.sql"], r.stderr)
    r = convert(os.path.join(work, "nowhere"), os.path.join(work, "out2"), work)
    checks.check("no alembic.ini: exit 2 naming it", r.returncode == 2 and "nowhere/alembic.ini: no such file"
                 in r.stderr, r.stderr)


def main():
    server = parity.Server(parity.server_url())
    binary = parity.lockstep_binary()
    checks = example.Checks()
    work = tempfile.mkdtemp(prefix="lockstep-from-alembic-")
    try:
        out = os.path.join(work, "migrations")
        if check_conversion(checks, out, convert(PROJECT, out, work), binary, work):
            reference = check_new_database(checks, server, binary, out, work)
            check_take_over(checks, server, binary, out, work, reference)
            check_downgrade(checks, server, binary, out, work)
        check_notes(checks, server, binary, work)
        check_refusals(checks, work)
    except (RuntimeError, subprocess.SubprocessError) as e:
        checks.check("from Alembic", False, "    %s" % e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
