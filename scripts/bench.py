#!/usr/bin/python3
"""lockstep's benchmarks (see scripts/bench).

1. apply N migrations to an empty database (the reset is not timed);
   floor: psql -f of the same SQL, each migration in its own BEGIN/COMMIT.
2. the no-op `upgrade heads` at head, what every pod start does, from the
   folder and from a bundle of it (`lockstep bundle`);
   floor: psql -c 'select 1'.
3. offline graph work on 10,000 revisions with branches and merges:
   heads, history, planning (`upgrade --sql base:heads`), from the folder
   and from a bundle. Floors: for the folder, bench_floor.c (compiled here)
   opening, reading and closing the same files on as many threads as
   lockstep's loader; for the bundle, the no-op `lockstep version` plus the
   time bench_floor takes to read the bundle file. Planning prints 12 MB,
   so a second floor for it: `lockstep version` plus bench_floor --plan
   (read the bundle, inflate it, pass the same output bytes through one
   64 KiB buffer to stdout): what printing those bytes costs at least,
   however they are made.
4. peak RSS (GNU time) of every lockstep measurement; the binary's size.
5. the herd: 50 processes started at once with one revision pending, in
   each lock mode; ideal: the same 50 at head plus one process alone
   applying that revision. Statements per process are counted by the
   server (pg_stat_statements, enabled for this part only).

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


def compile_floor(work):
    binary = os.path.join(work, "bench_floor")
    subprocess.run(["cc", "-O2", "-pthread", "-o", binary, os.path.join(REPO, "scripts", "bench_floor.c"), "-lz"],
                   check=True)
    return binary


def read_us(floor, path):
    """How long bench_floor takes to open, read and close one file, in microseconds."""
    out = subprocess.run([floor, path], check=True, capture_output=True, text=True).stdout.split()
    return float(out[2])


def make_bundle(folder, path, env):
    subprocess.run([LOCKSTEP, "--migrations", folder, "bundle", path], check=True, env=env, stdout=subprocess.DEVNULL)
    return path


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


HERD_SIZE = 50
HERD_REVISIONS = 100  # at head before the herd; one more is pending:
HERD_PENDING = ("CREATE TABLE bench_herd_rows AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 200000) g;\n"
                "CREATE INDEX bench_herd_rows_name ON bench_herd_rows (name);",
                "DROP TABLE bench_herd_rows;")  # long enough (~0.5 s) that the herd waits for it


def enable_statement_counts(server):
    """pg_stat_statements on the bench server (a restart), for the herd's statement counts."""
    subprocess.run([PSQL, "-X", "-q", server.url, "-c", "ALTER SYSTEM SET shared_preload_libraries = "
                    "'pg_stat_statements'"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(REPO, "scripts", "pg-server"), "restart", server.folder], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([PSQL, "-X", "-q", server.url, "-c", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"],
                   check=True, stdout=subprocess.DEVNULL)


def psql_value(server, sql):
    return subprocess.run([PSQL, "-X", "-At", server.url, "-c", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def statements_in(server, db):
    """Statements the server ran in `db` since the last reset (utility ones such as BEGIN and LISTEN too)."""
    return int(psql_value(server, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = "
                                  "(SELECT oid FROM pg_database WHERE datname = '%s')" % db))


def run_herd(cmd, count, env):
    """Starts `count` copies of cmd at once: (ms until the last exits, how many waited for the lock).
    Any failure stops the bench."""
    start = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    results = [(p.communicate()[1], p.returncode) for p in procs]
    elapsed = (time.perf_counter() - start) * 1000
    for err, code in results:
        if code != 0:
            sys.exit("herd member failed (%d): %s\n%s" % (code, " ".join(cmd), err[-2000:]))
    return elapsed, sum(1 for err, _ in results if "waiting for the migration lock" in err)


def measure_herds(server, work, env, rounds):
    """Per lock mode: (herd with one pending, at head, alone, ideal) ms per round, and statements per process."""
    folder = os.path.join(work, "herd-migrations")
    os.makedirs(folder)
    write_lockstep(folder, HERD_REVISIONS)
    with open(os.path.join(folder, rev_id(HERD_REVISIONS) + ".sql"), "w") as f:
        f.write("-- Revision ID: %s\n-- Revises: %s\n-- Message: the pending one\n\n-- +upgrade\n%s\n\n"
                "-- +downgrade\n%s\n" % ((rev_id(HERD_REVISIONS), rev_id(HERD_REVISIONS - 1)) + HERD_PENDING))
    enable_statement_counts(server)
    db = "bench_herd"
    before_last = rev_id(HERD_REVISIONS - 1)
    results = {}
    for mode in ("advisory", "lease"):
        # info: a waiter says "waiting for the migration lock" (counted); the same level in every run.
        base = [LOCKSTEP, "--database-url", server.db(db), "--migrations", folder, "--lock-mode", mode,
                "--log-level", "info"]
        upgrade = base + ["upgrade", "heads"]
        times = {"pending": [], "head": [], "alone": [], "ideal": []}
        counts = {"pending": [], "head": [], "alone": [], "waiters": [], "per waiter": []}

        def one_pending():
            server.reset(db)
            subprocess.run(base[:-2] + ["--log-level", "warn", "upgrade", before_last], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            psql_value(server, "SELECT pg_stat_statements_reset()")

        for rnd in range(rounds + 1):
            one_pending()
            pending, waiters = run_herd(upgrade, HERD_SIZE, env)
            counts_pending = statements_in(server, db)
            psql_value(server, "SELECT pg_stat_statements_reset()")
            head, _ = run_herd(upgrade, HERD_SIZE, env)
            counts_head = statements_in(server, db)
            one_pending()
            alone = timed(upgrade, env)
            counts_alone = statements_in(server, db)
            if rnd > 0:
                times["pending"].append(pending)
                times["head"].append(head)
                times["alone"].append(alone)
                times["ideal"].append(head + alone)
                counts["pending"].append(counts_pending / HERD_SIZE)
                counts["head"].append(counts_head / HERD_SIZE)
                counts["alone"].append(counts_alone)
                counts["waiters"].append(waiters)
                # What waiting cost: the herd's statements beyond the same herd at head and the one
                # run's own work, shared among those that waited.
                extra = counts_pending - counts_head - (counts_alone - counts_head / HERD_SIZE)
                counts["per waiter"].append(extra / waiters if waiters else 0.0)
        results[mode] = (times, {k: statistics.median(v) for k, v in counts.items()})
    return results


def summarize(samples):
    return statistics.median(samples), min(samples), max(samples)


def markdown_row(label, vs, target, med, lo, hi):
    """One row of README's table: ratios as 1.07×, targets as ≤ 1.1× met, times in ms."""
    digits = 1 if med < 1000 else 0
    return "| %s | %s | %s | %.*f ms | %.*f–%.*f |" % (
        label, vs.replace("x", "×") if vs != "floor" else "—",
        target.replace("<=", "≤").replace("x ", "× "), digits, med, digits, lo, digits, hi)


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
        floor = compile_floor(work)
        bundle = make_bundle(migrations, os.path.join(work, "migrations.bundle"), env)
        lockstep_apply = [LOCKSTEP, "--database-url", server.db("bench_l"), "--migrations", migrations,
                          "--log-level", "warn", "upgrade", "heads"]
        lockstep_noop_bundle = [LOCKSTEP, "--database-url", server.db("bench_l"), "--migrations", bundle,
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
        noop_tools["lockstep (bundle)"] = (lockstep_noop_bundle, None, env)
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
        graph_bundle = make_bundle(graph, os.path.join(work, "graph.bundle"), env)
        plan_output = os.path.join(work, "plan.sql")  # what planning prints, for the floor of its bytes
        with open(plan_output, "w") as f:
            subprocess.run([LOCKSTEP, "--migrations", graph_bundle, "upgrade", "--sql", "base:heads"], check=True,
                           env=env, stdout=f)
        graph_cmds = {}
        for source, where in (("folder", graph), ("bundle", graph_bundle)):
            graph_cmds.update({
                "heads, " + source: [LOCKSTEP, "--migrations", where, "heads"],
                "history, " + source: [LOCKSTEP, "--migrations", where, "history"],
                "plan (upgrade --sql base:heads), " + source:
                    [LOCKSTEP, "--migrations", where, "upgrade", "--sql", "base:heads"],
            })
        graph_cmds["floor: bench_floor reads the folder"] = [floor, graph]
        graph_cmds["lockstep version"] = [LOCKSTEP, "version"]
        graph_cmds["floor: bench_floor --plan"] = [floor, "--plan", graph_bundle, plan_output]
        graph_times = {k: [] for k in graph_cmds}
        graph_times["floor: lockstep version + read the bundle"] = []
        graph_times["floor: lockstep version + the plan's bytes"] = []
        for rnd in range(args.rounds * 2 + 1):
            for k, cmd in graph_cmds.items():
                ms = timed(cmd, env)
                if rnd > 0:
                    graph_times[k].append(ms)
            if rnd > 0:
                graph_times["floor: lockstep version + read the bundle"].append(
                    graph_times["lockstep version"][-1] + read_us(floor, graph_bundle) / 1000)
                graph_times["floor: lockstep version + the plan's bytes"].append(
                    graph_times["lockstep version"][-1] + graph_times["floor: bench_floor --plan"][-1])

        # 4. peak RSS of every lockstep measurement.
        server.reset("bench_l")
        rss = {"1. apply N": peak_rss_kb(lockstep_apply, env), "2. no-op, folder": peak_rss_kb(lockstep_apply, env),
               "2. no-op, bundle": peak_rss_kb(lockstep_noop_bundle, env)}
        for k, cmd in graph_cmds.items():
            if cmd[0] == LOCKSTEP and "version" not in cmd:
                rss["3. " + k] = peak_rss_kb(cmd, env)
        # 5. the herd, last: it restarts the server with pg_stat_statements.
        herds = measure_herds(server, work, env, args.rounds)
        size = os.path.getsize(LOCKSTEP)
        stripped = os.path.join(work, "lockstep.stripped")
        subprocess.run(["strip", "-o", stripped, LOCKSTEP], check=True)
        stripped_size = os.path.getsize(stripped)

        def ratio(a, b):
            return statistics.median([x / y for x, y in zip(a, b)])

        lines = []
        out = lines.append
        out("lockstep benchmarks: N=%d migrations, %d rounds after a warm-up (%d for the graph), graph of %d revisions"
            % (args.n, args.rounds, args.rounds * 2, args.graph))
        out("%s, PostgreSQL 15 on 127.0.0.1 (fsync on), %s, %d cores, load average %.1f at the end"
            % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.uname().machine, os.cpu_count(), os.getloadavg()[0]))
        out("ratios are medians of per-round ratios to the floor measured in the same round; absolute times vary by machine")
        out("")
        out("%-62s %8s  %-17s %10s %16s" % ("measurement", "vs floor", "target (issue 16)", "median ms", "min-max ms"))
        verdicts = []
        markdown = []  # the same rows for README.md's "Performance"

        def row(label, samples, floor=None, max_ratio=None):
            med, lo, hi = summarize(samples)
            vs = "%.2fx" % ratio(samples, floor) if floor else "floor" if label.endswith("(floor)") else ""
            target = ""
            if max_ratio is not None:
                met = ratio(samples, floor) <= max_ratio
                target = "<= %.1fx %s" % (max_ratio, "met" if met else "MISSED")
                verdicts.append(met)
            out("%-62s %8s  %-17s %10.1f %16s" % (label, vs, target, med, "%.1f-%.1f" % (lo, hi)))
            markdown.append(markdown_row(label, vs, target, med, lo, hi))
        row("1. apply N: psql -f (floor)", apply["psql -f"])
        row("1. apply N: lockstep upgrade heads", apply["lockstep"], apply["psql -f"], max_ratio=1.2)
        if have_alembic:
            row("1. apply N: alembic upgrade heads", apply["alembic"], apply["psql -f"])
        if dbmate:
            row("1. apply N: dbmate up", apply["dbmate"], apply["psql -f"])
        row("2. no-op: psql -c 'select 1' (floor)", noop["select 1"])
        row("2. no-op: lockstep upgrade heads, folder", noop["lockstep"], noop["select 1"], max_ratio=1.3)
        row("2. no-op: lockstep upgrade heads, bundle", noop["lockstep (bundle)"], noop["select 1"], max_ratio=1.1)
        if have_alembic:
            row("2. no-op: alembic upgrade heads", noop["alembic"], noop["select 1"][:len(noop["alembic"])])
        if dbmate:
            row("2. no-op: dbmate up", noop["dbmate"], noop["select 1"][:len(noop["dbmate"])])
        g = args.graph
        folder_floor = graph_times["floor: bench_floor reads the folder"]
        bundle_floor = graph_times["floor: lockstep version + read the bundle"]
        row("3. %d, folder: bench_floor reads the files (floor)" % g, folder_floor)
        row("3. %d, folder: heads" % g, graph_times["heads, folder"], folder_floor, max_ratio=1.3)
        row("3. %d, folder: history" % g, graph_times["history, folder"], folder_floor)
        row("3. %d, folder: plan (upgrade --sql base:heads)" % g, graph_times["plan (upgrade --sql base:heads), folder"],
            folder_floor)
        row("3. %d, bundle: lockstep version + read the bundle (floor)" % g, bundle_floor)
        row("3. %d, bundle: heads" % g, graph_times["heads, bundle"], bundle_floor, max_ratio=1.5)
        row("3. %d, bundle: history" % g, graph_times["history, bundle"], bundle_floor)
        row("3. %d, bundle: plan (upgrade --sql base:heads)" % g, graph_times["plan (upgrade --sql base:heads), bundle"],
            bundle_floor, max_ratio=2.0)
        bytes_floor = graph_times["floor: lockstep version + the plan's bytes"]
        row("3. %d, bundle: version + inflate the bundle + write the plan's %.1f MB (floor)"
            % (g, os.path.getsize(plan_output) / 1e6), bytes_floor)
        row("3. %d, bundle: plan, against the floor of its bytes" % g,
            graph_times["plan (upgrade --sql base:heads), bundle"], bytes_floor)
        for mode, (times, counts) in herds.items():
            label = "advisory lock" if mode == "advisory" else "lock_mode: lease"
            row("5. herd, %s: %d at head + 1 alone (ideal)" % (label, HERD_SIZE), times["ideal"])
            row("5. herd, %s: %d at once, 1 revision pending" % (label, HERD_SIZE), times["pending"], times["ideal"],
                max_ratio=1.2)
        out("")
        for mode, (times, counts) in herds.items():
            out("herd statements (pg_stat_statements), %s: %.1f per process with one pending, %.1f at head, %d "
                "for one process alone applying it; %d of %d waited for the lock, %.1f statements each for waiting"
                % (mode, counts["pending"], counts["head"], counts["alone"], counts["waiters"], HERD_SIZE,
                   counts["per waiter"]))
        rss_met = all(kb <= 20 * 1024 for kb in rss.values())
        verdicts.append(rss_met)
        out("peak RSS (target <= 20 MiB each: %s): %s" % ("met" if rss_met else "MISSED", ", ".join(
            "%s %.1f MiB" % (k[3:] if k[0] == "3" else k, kb / 1024) for k, kb in rss.items())))
        out("bundles: %d revisions %d bytes, %d revisions %d bytes" % (
            args.n, os.path.getsize(bundle), args.graph, os.path.getsize(graph_bundle)))
        out("binary: %s, %.1f MB (%.1f MB stripped)" % (
            "static (build-static/lockstep)" if LOCKSTEP == STATIC else "dynamically linked (build/lockstep)",
            size / 1e6, stripped_size / 1e6))
        out("targets: %d of %d met" % (sum(verdicts), len(verdicts)))
        if not dbmate:
            out("dbmate: not installed (scripts/bench installs it from npm when npm is there), column skipped")
        out("")
        out("As a table for README.md (\"Performance\"):")
        out("")
        out("| measurement | vs floor | target | median | min–max |")
        out("| --- | --- | --- | --- | --- |")
        lines.extend(markdown)
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
