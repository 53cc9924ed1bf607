#!/usr/bin/python3
"""lockstep's benchmarks (see scripts/bench).

1. apply N migrations to an empty database (the reset is not timed);
   floor: psql -f of the same SQL, each migration in its own BEGIN/COMMIT.
2. the no-op `upgrade heads` at head, what every pod start does;
   floor: psql -c 'select 1'.
3. offline graph work on 10,000 revisions with branches and merges:
   heads, history, planning (`upgrade --sql base:heads`).
4. peak RSS (GNU time) of 1, 2 and 3; the binary's size.

Runs alternate between the tools in every round; figures are medians over
the rounds after a warm-up, with min-max, and the ratio to the floor is the
median of the per-round ratios (paired runs).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What ships is the static binary (scripts/build-static); fall back to the
# ordinary build, and say which one was measured.
STATIC = os.path.join(REPO, "build-static", "lockstep")
LOCKSTEP = STATIC if os.path.exists(STATIC) else os.path.join(REPO, "build", "lockstep")
PSQL = "/usr/lib/postgresql/15/bin/psql"  # /usr/bin/psql is a Perl wrapper
GNU_TIME = "/usr/bin/time"


def migration(i):
    """Realistic, varied revisions: tables with indexes, columns, indexes, rows."""
    t = "bench_t%04d" % (i - i % 4)
    kind = i % 4
    if kind == 0:
        return ("CREATE TABLE %s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, "
                "created_at timestamptz NOT NULL DEFAULT now());\nCREATE INDEX %s_name ON %s (name);" % (t, t, t),
                "DROP TABLE %s;" % t)
    if kind == 1:
        return ("ALTER TABLE %s ADD COLUMN note text;" % t, "ALTER TABLE %s DROP COLUMN note;" % t)
    if kind == 2:
        return ("CREATE INDEX %s_created ON %s (created_at);" % (t, t), "DROP INDEX %s_created;" % t)
    return ("INSERT INTO %s (name, note) VALUES ('a', 'x'), ('b', 'y'), ('c', 'z');" % t,
            "DELETE FROM %s WHERE name IN ('a', 'b', 'c');" % t)


def rev_id(i):
    return "r%06d" % i


def write_lockstep(folder, n):
    for i in range(n):
        up, down = migration(i)
        with open(os.path.join(folder, rev_id(i) + ".sql"), "w") as f:
            f.write("-- Revision ID: %s\n-- Revises: %s\n-- Message: migration %d\n\n-- +upgrade\n%s\n\n"
                    "-- +downgrade\n%s\n" % (rev_id(i), rev_id(i - 1) if i else "", i, up, down))


def write_psql(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write("BEGIN;\n%s\nCOMMIT;\n" % migration(i)[0])


def write_alembic(folder, n):
    versions = os.path.join(folder, "versions")
    os.makedirs(versions)
    with open(os.path.join(folder, "alembic.ini"), "w") as f:
        f.write("[alembic]\nscript_location = %s\n" % folder)
    with open(os.path.join(folder, "env.py"), "w") as f:
        f.write("import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\n"
                "engine = create_engine(os.environ['BENCH_ALEMBIC_URL'])\n"
                "with engine.connect() as connection:\n"
                "    context.configure(connection=connection, transaction_per_migration=True)\n"
                "    with context.begin_transaction():\n"
                "        context.run_migrations()\n")
    for i in range(n):
        up, down = migration(i)
        with open(os.path.join(versions, rev_id(i) + ".py"), "w") as f:
            f.write("from alembic import op\nrevision = %r\ndown_revision = %r\nbranch_labels = None\n"
                    "depends_on = None\n\ndef upgrade():\n    op.execute(%r)\n\ndef downgrade():\n"
                    "    op.execute(%r)\n" % (rev_id(i), rev_id(i - 1) if i else None, up, down))


def write_dbmate(folder, n):
    os.makedirs(folder)
    for i in range(n):
        up, down = migration(i)
        with open(os.path.join(folder, "%014d_%s.sql" % (i + 1, rev_id(i))), "w") as f:
            f.write("-- migrate:up\n%s\n\n-- migrate:down\n%s\n" % (up, down))


def write_big_graph(folder, n):
    """n revisions: a trunk with a two-revision side branch every 50, merged back."""
    ids = []
    trunk = None
    i = 0
    while i < n:
        rid = "g%06d" % i
        parents = [trunk] if trunk else []
        if i % 50 == 10 and trunk and i + 3 < n:
            # branch: two on the side, one on the trunk, then a merge
            side1, side2, main, merge = ("g%06d" % (i + k) for k in range(4))
            specs = [(side1, [trunk]), (side2, [side1]), (main, [trunk]), (merge, [side2, main])]
            for sid, ps in specs:
                write_graph_file(folder, sid, ps)
            trunk = merge
            i += 4
            continue
        write_graph_file(folder, rid, parents)
        trunk = rid
        i += 1
    return ids


def write_graph_file(folder, rid, parents):
    with open(os.path.join(folder, rid + ".sql"), "w") as f:
        f.write("-- Revision ID: %s\n-- Revises: %s\n-- Message: %s\n\n-- +upgrade\nCREATE TABLE %s (id int);\n\n"
                "-- +downgrade\nDROP TABLE %s;\n" % (rid, ", ".join(parents), rid, rid, rid))


def timed(cmd, env=None):
    start = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if r.returncode != 0:
        sys.exit("benchmark command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))
    return elapsed


def peak_rss_kb(cmd, env=None):
    r = subprocess.run([GNU_TIME, "-f", "%M"] + cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    return int(r.stderr.strip().splitlines()[-1])


class Server:
    def __init__(self, folder):
        self.folder = folder
        subprocess.run([os.path.join(REPO, "scripts", "pg-server"), "start", folder], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(folder, "url")) as f:
            self.url = f.read().strip()

    def db(self, name):
        return self.url.rsplit("/", 1)[0] + "/" + name

    def reset(self, name):
        subprocess.run([PSQL, "-X", "-q", self.url, "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name,
                        "-c", "CREATE DATABASE %s" % name], check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run([os.path.join(REPO, "scripts", "pg-server"), "stop", self.folder], stdout=subprocess.DEVNULL)


def summarize(samples):
    return statistics.median(samples), min(samples), max(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--graph", type=int, default=10000)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="lockstep-bench-")
    os.chmod(work, 0o755)
    server = Server(os.path.join(work, "pg"))
    rows = []
    try:
        migrations = os.path.join(work, "migrations")
        os.makedirs(migrations)
        write_lockstep(migrations, args.n)
        psql_file = os.path.join(work, "all.sql")
        write_psql(psql_file, args.n)
        have_alembic = shutil.which("alembic") is not None and os.path.exists("/usr/bin/alembic")
        if have_alembic:
            alembic_dir = os.path.join(work, "alembic")
            write_alembic(alembic_dir, args.n)
        local_dbmate = os.path.join(REPO, "build", "bench-tools", "node_modules", ".bin", "dbmate")
        dbmate = local_dbmate if os.path.exists(local_dbmate) else shutil.which("dbmate")
        if dbmate:
            dbmate_dir = os.path.join(work, "dbmate")
            write_dbmate(dbmate_dir, args.n)

        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
        lockstep_apply = [LOCKSTEP, "--database-url", server.db("bench_l"), "--migrations", migrations,
                          "--log-level", "warn", "upgrade", "heads"]
        psql_apply = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", server.db("bench_p"), "-f", psql_file]
        alembic_env = dict(env, BENCH_ALEMBIC_URL=server.db("bench_a").replace("postgresql://",
                                                                                "postgresql+psycopg2://", 1))
        alembic_apply = ["/usr/bin/alembic", "-c", os.path.join(work, "alembic", "alembic.ini"), "upgrade", "heads"]
        dbmate_apply = [dbmate or "dbmate", "--url", server.db("bench_d") + "?sslmode=disable", "--migrations-dir",
                        os.path.join(work, "dbmate"), "--no-dump-schema", "up"]
        tools = {"lockstep": (lockstep_apply, "bench_l", env), "psql -f": (psql_apply, "bench_p", env)}
        if have_alembic:
            tools["alembic"] = (alembic_apply, "bench_a", alembic_env)
        if dbmate:
            tools["dbmate"] = (dbmate_apply, "bench_d", env)

        # 1. apply N from empty, alternating tools each round; round 0 is the warm-up.
        apply = {name: [] for name in tools}
        for rnd in range(args.rounds + 1):
            for name, (cmd, db, cmd_env) in tools.items():
                server.reset(db)
                ms = timed(cmd, cmd_env)
                if rnd > 0:
                    apply[name].append(ms)

        # 2. the no-op at head (the databases are at head after the last round).
        select1 = [PSQL, "-X", "-q", server.db("bench_p"), "-c", "select 1"]
        noop_tools = {"select 1": (select1, None, env)}
        noop_tools.update({k: v for k, v in tools.items() if k != "psql -f"})
        noop = {name: [] for name in noop_tools}
        for rnd in range(args.rounds * 4 + 1):
            for name, (cmd, _, cmd_env) in noop_tools.items():
                if name in ("alembic", "dbmate") and rnd > args.rounds:
                    continue  # slow tools: the same number of rounds as the apply
                ms = timed(cmd, cmd_env)
                if rnd > 0:
                    noop[name].append(ms)

        # 3. offline graph work on a big graph.
        graph = os.path.join(work, "graph")
        os.makedirs(graph)
        write_big_graph(graph, args.graph)
        graph_cmds = {
            "heads": [LOCKSTEP, "--migrations", graph, "heads"],
            "history": [LOCKSTEP, "--migrations", graph, "history"],
            "plan (upgrade --sql base:heads)": [LOCKSTEP, "--migrations", graph, "upgrade", "--sql", "base:heads"],
        }
        graph_times = {k: [] for k in graph_cmds}
        for rnd in range(args.rounds + 1):
            for k, cmd in graph_cmds.items():
                ms = timed(cmd, env)
                if rnd > 0:
                    graph_times[k].append(ms)

        # 4. peak RSS.
        server.reset("bench_l")
        rss_apply = peak_rss_kb(lockstep_apply, env)
        rss_noop = peak_rss_kb(lockstep_apply, env)
        rss_graph = max(peak_rss_kb(cmd, env) for cmd in graph_cmds.values())
        size = os.path.getsize(LOCKSTEP)
        stripped = os.path.join(work, "lockstep.stripped")
        subprocess.run(["strip", "-o", stripped, LOCKSTEP], check=True)
        stripped_size = os.path.getsize(stripped)

        def ratio(a, b):
            return statistics.median([x / y for x, y in zip(a, b)])

        lines = []
        out = lines.append
        out("lockstep benchmarks: N=%d migrations, %d rounds after a warm-up, graph of %d revisions"
            % (args.n, args.rounds, args.graph))
        out("%s, PostgreSQL 15 on 127.0.0.1 (fsync on), %s" % (time.strftime("%Y-%m-%d"), os.uname().machine))
        out("")
        out("%-52s %10s %16s %9s  %s" % ("measurement", "median ms", "min-max ms", "vs floor", "target (issue #5)"))
        verdicts = []

        def row(label, samples, floor=None, max_ratio=None, max_ms=None):
            med, lo, hi = summarize(samples)
            vs = "%.2fx" % ratio(samples, floor) if floor else ("floor" if "(floor)" in label else "")
            target = ""
            if max_ratio is not None:
                met = ratio(samples, floor) <= max_ratio
                target = "<= %.1fx %s" % (max_ratio, "met" if met else "MISSED")
                verdicts.append(met)
            elif max_ms is not None:
                met = med <= max_ms
                target = "<= %d ms %s" % (max_ms, "met" if met else "MISSED")
                verdicts.append(met)
            out("%-52s %10.1f %16s %9s  %s" % (label, med, "%.1f-%.1f" % (lo, hi), vs, target))
        row("1. apply N: psql -f (floor)", apply["psql -f"])
        row("1. apply N: lockstep upgrade heads", apply["lockstep"], apply["psql -f"], max_ratio=1.2)
        if have_alembic:
            row("1. apply N: alembic upgrade heads", apply["alembic"], apply["psql -f"])
        if dbmate:
            row("1. apply N: dbmate up", apply["dbmate"], apply["psql -f"])
        row("2. no-op: psql -c 'select 1' (floor)", noop["select 1"])
        row("2. no-op: lockstep upgrade heads", noop["lockstep"], noop["select 1"], max_ratio=1.5)
        if have_alembic:
            row("2. no-op: alembic upgrade heads", noop["alembic"], noop["select 1"][:len(noop["alembic"])])
        if dbmate:
            row("2. no-op: dbmate up", noop["dbmate"], noop["select 1"][:len(noop["dbmate"])])
        graph_targets = {"heads": 50, "plan (upgrade --sql base:heads)": 100}
        for k, samples in graph_times.items():
            row("3. %d revisions: %s" % (args.graph, k), samples, max_ms=graph_targets.get(k))
        out("")
        rss_met = rss_apply <= 20 * 1024 and rss_noop <= 20 * 1024 and rss_graph <= 30 * 1024
        verdicts.append(rss_met)
        out("peak RSS: apply %.1f MB, no-op %.1f MB (targets <= 20 MB), graph work %.1f MB (<= 30 MB): %s"
            % (rss_apply / 1024, rss_noop / 1024, rss_graph / 1024, "met" if rss_met else "MISSED"))
        out("binary: %s, %.1f MB (%.1f MB stripped)" % (
            "static (build-static/lockstep)" if LOCKSTEP == STATIC else "dynamically linked (build/lockstep)",
            size / 1e6, stripped_size / 1e6))
        out("targets: %d of %d met" % (sum(verdicts), len(verdicts)))
        if not dbmate:
            out("dbmate: not installed (scripts/bench installs it from npm when npm is there), column skipped")
        text = "\n".join(lines)
        print(text)
        os.makedirs(os.path.join(REPO, "build"), exist_ok=True)
        with open(os.path.join(REPO, "build", "bench-results.txt"), "w") as f:
            f.write(text + "\n")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
