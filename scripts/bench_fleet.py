#!/usr/bin/python3
"""lockstep's fleet benchmark (issue 15, item 6; run it as `scripts/bench fleet`).

Two fleets on a throwaway PostgreSQL 15 (scripts/pg-server, fsync on, stopped
by pid at the end):
  - schemas:   1,000 tenant schemas tenant_0000.. in one database;
  - databases: 200 databases tenant_db_000.. .
Every target holds `accounts` (1,000 rows, revision r0001, already applied)
and one pending revision, r0002: add a NOT NULL column with a default and an
index on it. Each run below applies r0002 to its targets and is checked (the
column, the index and the tool's version row are there on exactly the targets
it ran on); the targets are reset to r0001 between runs (untimed), so every
run does the same work.

  a. lockstep's fleet run: one `lockstep upgrade` with --fleet-schemas or
     --fleet-file and --parallel P;
  b. lockstep once per target, a sequential shell-style loop (a sample);
  c. `alembic -x tenant=<id> upgrade head` once per target, sequentially, with
     an env.py that sets the search_path (schemas) or the database (databases)
     from -x, as multi-tenant Alembic setups do (a sample: a second or
     more each);
  d. the floor: the same SQL by psql, one psql per target (`psql -1 -f`, one
     connection and one transaction each), P at once, like lockstep's pool.

Targets per second, peak client connections on the server (pg_stat_activity,
sampled every few ms during the run) and peak RSS of the process under test
(GNU time; the largest process of a loop; psql's once, apart from the timed
floor, which GNU time would slow down). Rounds interleave the four and
alternate their order; a ratio is the median of the per-round ratios (paired).
Targets of issue 15: the fleet run at least 20x the Alembic loop and within
1.5x of the psql floor.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its server, paths and summary: one copy of each)
from bench import GNU_TIME, PSQL, REPO, STATIC, Server, summarize  # noqa: E402

import psycopg2  # noqa: E402  (Debian's python3-psycopg2, which Alembic uses too)

ROWS = 1000
BASE_UP = ("CREATE TABLE accounts (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
           "    email text NOT NULL,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
           "INSERT INTO accounts (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, %d) g;" % ROWS)
PENDING_UP = ("ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
              "CREATE INDEX accounts_plan ON accounts (plan);")
PENDING_DOWN = "DROP INDEX accounts_plan;\nALTER TABLE accounts DROP COLUMN plan;"
ALEMBIC = "/usr/bin/alembic"
LOCKSTEP = bench.LOCKSTEP  # --lockstep replaces it


# ---------------------------------------------------------------- the files

def write_lockstep(folder):
    os.makedirs(folder)
    for rid, parent, message, up, down in (("r0001", "", "accounts", BASE_UP, "DROP TABLE accounts;"),
                                           ("r0002", "r0001", "plans", PENDING_UP, PENDING_DOWN)):
        with open(os.path.join(folder, rid + "_" + message + ".sql"), "w") as f:
            f.write("-- Revision ID: %s\n-- Revises: %s\n-- Message: %s\n\n-- +upgrade\n%s\n\n-- +downgrade\n%s\n"
                    % (rid, parent, message, up, down))


ALEMBIC_ENV = '''\
"""Multi-tenant env.py: `alembic -x tenant=<id> upgrade head` migrates one tenant."""
import os

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url

tenant = context.get_x_argument(as_dictionary=True)["tenant"]
url = make_url(os.environ["TENANTS_URL"])
if os.environ["TENANCY"] == "schemas":
    # schema per tenant: the tenant first on the search_path, its own alembic_version
    engine = create_engine(url, poolclass=pool.NullPool,
                           connect_args={"options": "-csearch_path=%s,public" % tenant})
    version_table_schema = tenant
else:
    # database per tenant
    engine = create_engine(url.set(database=tenant), poolclass=pool.NullPool)
    version_table_schema = None
with engine.connect() as connection:
    context.configure(connection=connection, version_table_schema=version_table_schema)
    with context.begin_transaction():
        context.run_migrations()
'''


def write_alembic(folder):
    versions = os.path.join(folder, "versions")
    os.makedirs(versions)
    with open(os.path.join(folder, "alembic.ini"), "w") as f:
        f.write("[alembic]\nscript_location = %s\n" % folder)
    with open(os.path.join(folder, "env.py"), "w") as f:
        f.write(ALEMBIC_ENV)
    with open(os.path.join(versions, "r0001_accounts.py"), "w") as f:
        f.write('"""accounts"""\nfrom alembic import op\n\nrevision = "r0001"\ndown_revision = None\n'
                'branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.execute(%r)\n\n\n'
                'def downgrade():\n    op.drop_table("accounts")\n' % BASE_UP)
    with open(os.path.join(versions, "r0002_plans.py"), "w") as f:
        f.write('"""plans"""\nimport sqlalchemy as sa\nfrom alembic import op\n\nrevision = "r0002"\n'
                'down_revision = "r0001"\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n'
                '    op.add_column("accounts", sa.Column("plan", sa.Text(), nullable=False, server_default="free"))\n'
                '    op.create_index("accounts_plan", "accounts", ["plan"])\n\n\ndef downgrade():\n'
                '    op.drop_index("accounts_plan")\n    op.drop_column("accounts", "plan")\n')
    return os.path.join(folder, "alembic.ini")


# ------------------------------------------------------- processes, sampling

def measured(cmd, env, rss=True):
    """Runs cmd; returns (seconds, peak RSS in KiB, or 0 without rss). Exits the benchmark when it fails.
    The RSS comes from GNU time, a small process: the kernel carries the peak of the forking process
    over exec, so a child forked from this Python would report Python's."""
    with tempfile.NamedTemporaryFile() as err, tempfile.NamedTemporaryFile(mode="r") as peak:
        start = time.perf_counter()
        r = subprocess.run(([GNU_TIME, "-f", "%M", "-o", peak.name] if rss else []) + cmd, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        seconds = time.perf_counter() - start
        if r.returncode != 0:
            err.seek(0)
            sys.exit("bench fleet: exit %d from %s ...\n%s" % (r.returncode, " ".join(cmd[:3]),
                                                               err.read().decode(errors="replace")[-3000:]))
        return seconds, int(peak.read().split()[-1]) if rss else 0


class ConnectionSampler:
    """Counts the server's client connections (not its own) every few ms while running."""

    def __init__(self, url):
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True
        self.peak = 0
        self.stop = threading.Event()
        self.thread = None

    def __enter__(self):
        self.peak = 0
        self.stop.clear()
        self.thread = threading.Thread(target=self.sample)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def sample(self):
        cur = self.conn.cursor()
        while not self.stop.is_set():
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                        "AND pid <> pg_backend_pid()")
            self.peak = max(self.peak, cur.fetchone()[0])
            self.stop.wait(0.003)


# ------------------------------------------------------------------ fleets

class Fleet:
    """One fleet's targets, how each tool addresses them, and the untimed reset/check."""

    def __init__(self, kind, server, ids, work, password):
        self.kind = kind
        self.server = server
        self.ids = ids
        self.work = work
        self.password = password
        self.port = server.url.rsplit(":", 1)[1].split("/")[0]

    def url(self, db, with_password=True):
        auth = "lockstep:%s" % self.password if with_password else "lockstep"
        return "postgresql://%s@127.0.0.1:%s/%s" % (auth, self.port, db)

    def database_of(self, tid):
        return "tenants" if self.kind == "schemas" else tid

    def fleet_args(self):
        if self.kind == "schemas":
            return ["--fleet-schemas", "tenant\\_%"]
        return ["--fleet-file", os.path.join(self.work, "fleet.txt")]

    def write_fleet_file(self):
        with open(os.path.join(self.work, "fleet.txt"), "w") as f:
            f.write("# one tenant database per line; the password comes from the environment\n")
            for tid in self.ids:
                f.write("%s postgresql://lockstep:${BENCH_PGPASSWORD}@127.0.0.1:%s/%s\n" % (tid, self.port, tid))

    def single_url(self, tid):
        """The URL a per-target lockstep run gets: the tenant first on the search_path for a schema."""
        if self.kind == "schemas":
            return self.url("tenants") + "?options=-csearch_path%%3D%s%%2Cpublic" % tid
        return self.url(tid)

    def by_database(self, ids):
        groups = {}
        for tid in ids:
            groups.setdefault(self.database_of(tid), []).append(tid)
        return groups

    def prefix(self, tid):
        return tid + "." if self.kind == "schemas" else ""

    def state_sql(self, tid):
        """One row: the target, whether the column and the index are there, both tools' version rows."""
        return ("SELECT '{t}', (SELECT count(*) FROM pg_attribute WHERE attrelid = '{p}accounts'::regclass "
                "AND attname = 'plan' AND NOT attisdropped) = 1, to_regclass('{p}accounts_plan') IS NOT NULL, "
                "(SELECT version_num FROM {p}lockstep_version), (SELECT version_num FROM {p}alembic_version)"
                .format(t=tid, p=self.prefix(tid)))

    def reset_sql(self, tid):
        return ("DROP INDEX IF EXISTS {p}accounts_plan; ALTER TABLE {p}accounts DROP COLUMN IF EXISTS plan; "
                "UPDATE {p}lockstep_version SET version_num = 'r0001'; "
                "DELETE FROM {p}lockstep_applied WHERE revision = 'r0002'; "
                "UPDATE {p}alembic_version SET version_num = 'r0001';".format(p=self.prefix(tid)))

    def check_and_reset(self, ran, tool):
        """Checks that exactly the targets in `ran` have r0002, applied by `tool` (its version row says
        so, the other tool's does not; psql writes none), then puts them back at r0001. Untimed; two
        round trips per database and 50 targets."""
        untouched = (False, False, "r0001", "r0001")

        def one_database(db, tids):
            conn = psycopg2.connect(self.url(db))
            try:
                with conn, conn.cursor() as cur:
                    states = []
                    for i in range(0, len(tids), 50):  # a UNION of many more plans in quadratic time
                        cur.execute(" UNION ALL ".join(self.state_sql(tid) for tid in tids[i:i + 50]))
                        states += [(row[0], tuple(row[1:])) for row in cur.fetchall()]
                    changed = [tid for tid, state in states if state != untouched]
                    if changed:
                        cur.execute(" ".join(self.reset_sql(tid) for tid in changed))
                    return states
            finally:
                conn.close()

        applied = (True, True, "r0002" if tool == "lockstep" else "r0001", "r0002" if tool == "alembic" else "r0001")
        ran = set(ran)
        with ThreadPoolExecutor(4) as pool:
            groups = list(self.by_database(self.ids).items())
            states = [s for part in pool.map(lambda g: one_database(*g), groups) for s in part]
        wrong = [tid for tid, state in states if state != (applied if tid in ran else untouched)]
        if wrong or len(states) != len(self.ids):
            sys.exit("bench fleet: after %s on the %s fleet, %d of %d target(s) are not as expected, e.g. %s: %r"
                     % (tool, self.kind, len(wrong), len(self.ids), wrong[:1], dict(states).get(wrong[0])
                        if wrong else "missing"))


# ----------------------------------------------------------------- set-up

def base_env(work):
    # cwd is `work` for every run, so no .env of the caller's is read.
    return {"PATH": "/usr/bin:/bin", "HOME": work, "LANG": "C.UTF-8"}


def create_fleets(server, work, migrations, n_schemas, n_databases, password):
    """Both fleets at r0001, for lockstep (its own runs) and for Alembic (its version row). Untimed; the
    databases are copied from a template on a thread of their own while lockstep fills the schemas."""
    env = dict(base_env(work), BENCH_PGPASSWORD=password)
    schemas = Fleet("schemas", server, ["tenant_%04d" % i for i in range(n_schemas)], work, password)
    databases = Fleet("databases", server, ["tenant_db_%03d" % i for i in range(n_databases)], work, password)
    databases.write_fleet_file()
    admin(server, "CREATE DATABASE tenants", "CREATE DATABASE tenant_template")
    run_checked([LOCKSTEP, "--database-url", databases.url("tenant_template"), "--migrations", migrations,
                 "--log-level", "warn", "upgrade", "r0001"], env)
    stamp_alembic(databases.url("tenant_template"), [""])

    def copy_template():
        for tid in databases.ids:
            admin(server, "CREATE DATABASE %s TEMPLATE tenant_template" % tid)
        log("%d databases copied from tenant_template" % len(databases.ids))

    with ThreadPoolExecutor(1) as pool:
        copies = pool.submit(copy_template)
        with psycopg2.connect(schemas.url("tenants")) as conn, conn.cursor() as cur:
            cur.execute(" ".join("CREATE SCHEMA %s;" % tid for tid in schemas.ids))
        conn.close()
        # lockstep's own fleet run applies r0001 to every schema.
        run_checked([LOCKSTEP, "--database-url", schemas.url("tenants"), "--migrations", migrations,
                     "--parallel", "4", "--log-level", "warn"] + schemas.fleet_args() + ["upgrade", "r0001"], env)
        stamp_alembic(schemas.url("tenants"), [tid + "." for tid in schemas.ids])
        log("%d schemas at r0001" % len(schemas.ids))
        copies.result()
    return schemas, databases


def admin(server, *statements):
    conn = psycopg2.connect(server.url)
    conn.autocommit = True
    try:
        for sql in statements:
            conn.cursor().execute(sql)
    finally:
        conn.close()


STARTED = time.time()


def log(message):
    print("bench fleet: %5.0f s: %s" % (time.time() - STARTED, message), file=sys.stderr, flush=True)


def stamp_alembic(url, prefixes):
    """What `alembic stamp r0001` writes: the version table in Alembic's layout and one row."""
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(" ".join("CREATE TABLE {p}alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT "
                             "alembic_version_pkc PRIMARY KEY (version_num)); INSERT INTO {p}alembic_version "
                             "VALUES ('r0001');".format(p=p) for p in prefixes))
    conn.close()


def run_checked(cmd, env):
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("bench fleet: set-up failed (exit %d): %s" % (r.returncode, r.stderr[-3000:]))


# ------------------------------------------------------------------- runs

def sample(ids, n):
    """n targets spread evenly over the fleet (the same ones every round)."""
    if n >= len(ids):
        return list(ids)
    return [ids[i * len(ids) // n] for i in range(n)]


class Runs:
    def __init__(self, work, migrations, alembic_ini, up_sql, password, parallel):
        self.work = work
        self.migrations = migrations
        self.alembic_ini = alembic_ini
        self.up_sql = up_sql
        self.password = password
        self.parallel = parallel
        self.psql_rss = 0

    def env(self, **more):
        return dict(base_env(self.work), **more)

    def lockstep_fleet(self, fleet, ids):
        where = ["--database-url", fleet.url("tenants")] if fleet.kind == "schemas" else []
        cmd = [LOCKSTEP, "--migrations", self.migrations, "--parallel", str(self.parallel)] + where + \
            fleet.fleet_args() + ["upgrade"]
        return measured(cmd, self.env(BENCH_PGPASSWORD=self.password))

    def lockstep_loop(self, fleet, ids):
        def cmd(tid):
            extra = ["--version-table-schema", tid] if fleet.kind == "schemas" else []
            return [LOCKSTEP, "--migrations", self.migrations] + extra + ["upgrade"]
        return self.sequential(ids, cmd, lambda tid: self.env(DATABASE_URL=fleet.single_url(tid)))

    def alembic_loop(self, fleet, ids):
        env = self.env(TENANCY=fleet.kind,
                       TENANTS_URL=fleet.url("tenants").replace("postgresql://", "postgresql+psycopg2://", 1))
        return self.sequential(ids, lambda tid: [ALEMBIC, "-c", self.alembic_ini, "-x", "tenant=" + tid,
                                                 "upgrade", "head"], lambda tid: env)

    def psql_floor(self, fleet, ids):
        def one(tid):
            env = self.env(PGPASSWORD=self.password)
            if fleet.kind == "schemas":
                env["PGOPTIONS"] = "-csearch_path=%s,public" % tid
            return measured(self.psql_apply(fleet.url(fleet.database_of(tid), with_password=False)), env, rss=False)
        start = time.perf_counter()
        with ThreadPoolExecutor(self.parallel) as pool:
            list(pool.map(one, ids))
        return time.perf_counter() - start, self.psql_rss

    def psql_apply(self, url):
        return [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", self.up_sql, "-d", url]

    def measure_psql_rss(self, fleet):
        """psql's peak RSS, measured once (untimed) applying the same SQL to the spare tenant_template:
        GNU time on every psql of the floor would slow the floor down."""
        self.psql_rss = measured(self.psql_apply(fleet.url("tenant_template", with_password=False)),
                                 self.env(PGPASSWORD=self.password))[1]
        with psycopg2.connect(fleet.url("tenant_template")) as conn, conn.cursor() as cur:
            cur.execute(PENDING_DOWN)
        conn.close()

    def sequential(self, ids, cmd_of, env_of):
        start = time.perf_counter()
        rss = 0
        for tid in ids:
            rss = max(rss, measured(cmd_of(tid), env_of(tid))[1])
        return time.perf_counter() - start, rss


# ------------------------------------------------------------------ report

def alembic_version():
    import alembic
    return alembic.__version__


TOOLS = ("fleet", "floor", "loop", "alembic")


def label(tool, fleet, parallel, sampled):
    option = "--fleet-schemas 'tenant\\_%'" if fleet.kind == "schemas" else "--fleet-file"
    n = len(fleet.ids)
    return {
        "fleet": "lockstep upgrade %s --parallel %d" % (option, parallel),
        "floor": "psql -1 -f, one per target, %d at once (floor)" % parallel,
        "loop": "lockstep upgrade once per target, in a loop (%d of %d)" % (sampled["loop"], n),
        "alembic": "alembic -x tenant=ID upgrade head, in a loop (%d of %d)" % (sampled["alembic"], n),
    }[tool]


def report(fleets, results, sampled, args, load_start):
    lines = []
    out = lines.append
    minutes = (time.time() - STARTED) / 60
    out("lockstep fleet benchmark (issue 15): %d rounds, order alternating; one pending revision per target "
        "(ADD COLUMN ... NOT NULL DEFAULT and CREATE INDEX on a %d-row table)" % (args.rounds, ROWS))
    out("%s, PostgreSQL 15 on 127.0.0.1 (fsync on, TCP + scram), %s, %d cores, load average %.1f at the start, "
        "%.1f at the end; %.1f min from the start to this report"
        % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.uname().machine, os.cpu_count(), load_start,
           os.getloadavg()[0], minutes))
    out("binary: %s" % ("static (build-static/lockstep)" if LOCKSTEP == STATIC else LOCKSTEP))
    out("ratios are medians of per-round ratios against the fleet run of the same round; loops run a sample of the "
        "targets, spread over the fleet, and report its rate")
    out("floor: psql -X -1 -f of r0002's SQL, one psql (one connection, one transaction) per target, %d at once; "
        "Alembic %s (Debian), env.py: -x tenant=ID sets search_path (connect_args options) and version_table_schema, "
        "or the database" % (args.parallel, alembic_version()))
    verdicts = []
    for fleet in fleets:
        r = results[fleet.kind]
        rate = {tool: [n / s for n, s in zip(r[tool]["targets"], r[tool]["seconds"])] for tool in TOOLS}
        out("")
        out("%s: %d %s" % (fleet.kind, len(fleet.ids), "tenant schemas in one database" if fleet.kind == "schemas"
                           else "databases"))
        out("%-62s %-22s %-16s %22s %6s %9s" % ("", "fleet run vs this", "target (#15)", "targets/s median (min-max)",
                                                 "conns", "RSS MiB"))
        for tool in TOOLS:
            if tool == "fleet":
                vs, target = "", ""
            elif tool == "floor":
                ratio = statistics.median([f / a for f, a in zip(rate["floor"], rate["fleet"])])
                vs = "takes %.2fx the time" % ratio
                target = "<= 1.5x %s" % ("met" if ratio <= 1.5 else "MISSED")
                verdicts.append(ratio <= 1.5)
            else:
                ratio = statistics.median([a / b for a, b in zip(rate["fleet"], rate[tool])])
                vs = "%.1fx the rate" % ratio
                target = ""
                if tool == "alembic":
                    target = ">= 20x %s" % ("met" if ratio >= 20 else "MISSED")
                    verdicts.append(ratio >= 20)
            med, lo, hi = summarize(rate[tool])
            out("%-62s %-22s %-16s %22s %6d %9.1f" % (label(tool, fleet, args.parallel, sampled[fleet.kind]), vs,
                                                      target, "%.1f (%.1f-%.1f)" % (med, lo, hi),
                                                      max(r[tool]["conns"]), max(r[tool]["rss"]) / 1024))
    out("")
    out("conns: peak client connections on the server during the run (pg_stat_activity, sampled); RSS: peak of "
        "the process under test (GNU time; the largest one for the loops, which run one per target; psql's measured "
        "once, apart from the timed floor)")
    out("targets: %d of %d met" % (sum(verdicts), len(verdicts)))
    return "\n".join(lines)


# -------------------------------------------------------------------- main

def quit_postmaster(folder):
    """An immediate shutdown: SIGQUIT to the postmaster, by the pid pg-server wrote. The cluster is
    thrown away, so the shutdown checkpoint (a minute of writes after this benchmark) is not worth it."""
    try:
        with open(os.path.join(folder, "pid")) as f:
            pid = int(f.read())
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if b"postgres" not in f.read():
                return  # not ours any more
        os.kill(pid, signal.SIGQUIT)
    except (OSError, ValueError):
        pass  # never started, or already gone: pg-server stop copes

def main():
    global LOCKSTEP
    parser = argparse.ArgumentParser(prog="scripts/bench fleet")
    parser.add_argument("--schemas", type=int, default=1000, help="tenant schemas in one database")
    parser.add_argument("--databases", type=int, default=200, help="tenant databases")
    parser.add_argument("--parallel", type=int, default=4, help="lockstep's --parallel, and psql's")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--loop-sample", type=int, default=50, help="targets per round of the lockstep loop")
    parser.add_argument("--alembic-sample", type=int, default=8, help="targets per round of the Alembic loop")
    parser.add_argument("--lockstep", default=LOCKSTEP, help="the binary (default: build-static/lockstep if built, "
                        "else build/lockstep)")
    parser.add_argument("--results", default=os.path.join(REPO, "build", "bench-fleet-results.txt"),
                        help="where the table is written too")
    args = parser.parse_args()
    LOCKSTEP = os.path.abspath(args.lockstep)
    args.results = os.path.abspath(args.results)
    if not os.access(LOCKSTEP, os.X_OK):
        sys.exit("bench fleet: no lockstep binary at %s (build it, or name one with --lockstep)" % LOCKSTEP)
    if not os.path.exists(ALEMBIC):
        sys.exit("bench fleet: %s is missing (Debian's alembic; scripts/bootstrap installs it)" % ALEMBIC)

    load_start = os.getloadavg()[0]
    work = tempfile.mkdtemp(prefix="lockstep-bench-fleet-")
    os.chmod(work, 0o755)
    os.chdir(work)  # every tool runs here: no stray .env or alembic.ini of the caller's
    server = Server(os.path.join(work, "pg"))
    try:
        with open(os.path.join(work, "pg", "password")) as f:
            password = f.read().strip()
        migrations = os.path.join(work, "migrations")
        write_lockstep(migrations)
        alembic_ini = write_alembic(os.path.join(work, "alembic"))
        up_sql = os.path.join(work, "r0002.sql")
        with open(up_sql, "w") as f:
            f.write(PENDING_UP + "\n")
        log("creating %d tenant schemas and %d databases" % (args.schemas, args.databases))
        fleets = create_fleets(server, work, migrations, args.schemas, args.databases, password)
        runs = Runs(work, migrations, alembic_ini, up_sql, password, args.parallel)
        runs.measure_psql_rss(fleets[1])
        run_of = {"fleet": runs.lockstep_fleet, "floor": runs.psql_floor, "loop": runs.lockstep_loop,
                  "alembic": runs.alembic_loop}
        checked_as = {"fleet": "lockstep", "floor": "psql", "loop": "lockstep", "alembic": "alembic"}
        sampler = ConnectionSampler(server.url)
        results = {f.kind: {t: {"seconds": [], "targets": [], "conns": [], "rss": []} for t in TOOLS} for f in fleets}
        sampled = {}
        for fleet in fleets:
            fleet.check_and_reset([], "psql")  # every target at r0001 before the first run
            sampled[fleet.kind] = {"fleet": len(fleet.ids), "floor": len(fleet.ids),
                                   "loop": min(args.loop_sample, len(fleet.ids)),
                                   "alembic": min(args.alembic_sample, len(fleet.ids))}
        for rnd in range(args.rounds):
            for fleet in fleets:
                for tool in (TOOLS if rnd % 2 == 0 else tuple(reversed(TOOLS))):
                    ids = sample(fleet.ids, sampled[fleet.kind][tool])
                    log("round %d/%d, %s, %s on %d target(s)" % (rnd + 1, args.rounds, fleet.kind, tool, len(ids)))
                    with sampler:
                        seconds, rss = run_of[tool](fleet, ids)
                    fleet.check_and_reset(ids, checked_as[tool])
                    r = results[fleet.kind][tool]
                    r["seconds"].append(seconds)
                    r["targets"].append(len(ids))
                    r["conns"].append(sampler.peak)
                    r["rss"].append(rss)
        sampler.conn.close()
        text = report(fleets, results, sampled, args, load_start)
        print(text)
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        with open(args.results, "w") as f:
            f.write(text + "\n")
    finally:
        os.chdir("/")
        quit_postmaster(os.path.join(work, "pg"))
        server.stop()  # waits until it is gone
        # ~50,000 files: on a disk mounted with `discard`, unlinking them takes minutes, which nobody
        # needs to wait for.
        data = os.path.join(work, "pg", "data")  # a link to /tmp/lockstep-pg-* when pg-server put it there
        moved = [os.path.dirname(os.path.realpath(data))] if os.path.islink(data) else []
        remover = subprocess.Popen(["nice", "-n", "19", "rm", "-rf", "--one-file-system", work] + moved,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        log("the throwaway cluster is stopped; its files in %s are being removed (rm, pid %d)" % (work, remover.pid))


if __name__ == "__main__":
    main()
