#!/usr/bin/python3
"""The chart's fleet mode and the kustomize fleet component, run as Kubernetes
would run them: `helm template` (or `kubectl kustomize` of an overlay with the
component) renders the fleet's Indexed Job, and each index's pod is played by
the built lockstep with exactly that container's args and env (secretKeyRef
values from the Secrets given here, fieldRefs as the kubelet fills them, the
index annotation as the Job controller sets it, mounted ConfigMaps and Secrets
as folders), once per index and all at once, against tenant schemas and tenant
databases on the suite's PostgreSQL (the `postgres` CTest fixture). Asserts
that every target is migrated exactly once, by the index its id hashes to,
nothing outside the fleet is touched, a retried index (exit 3, or 143 for a pod
evicted mid-share: the rendered podFailurePolicy counts both, so Kubernetes
retries that index) redoes only its own share, the pre-rollback hook reverts
a release on every target once, a target's own password file is used, and no
password reaches the output."""

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import uuid

import yaml

from support import HELM, KUBECTL, REPO, Checks, documents, run

CHART = os.path.join(REPO, "charts", "lockstep")
LOCKSTEP = os.environ.get("LOCKSTEP_BINARY", "")
PG_DIR = os.environ.get("LOCKSTEP_TEST_PG_DIR", "")
c = Checks()
tmp = tempfile.mkdtemp(prefix="lockstep-fleet-run-")

MIGRATIONS = {
    "0001_accounts.sql": "-- Revision ID: f1\n-- Revises:\n-- Message: accounts\n-- +upgrade\n"
                         "CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);\n"
                         "-- +downgrade\nDROP TABLE accounts;\n",
    "0002_plan.sql": "-- Revision ID: f2\n-- Revises: f1\n-- Message: plan\n-- +upgrade\n"
                     "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free';\n"
                     "-- +downgrade\nALTER TABLE accounts DROP COLUMN plan;\n",
}
HEAD = "f2"
# The client of the server scripts/pg-server runs (postgresql-client-15, scripts/bootstrap).
PSQL = "/usr/lib/postgresql/15/bin/psql"
INDEX_ANNOTATION = "metadata.annotations['batch.kubernetes.io/job-completion-index']"


def shard_of(target_id, count):
    """README "Fleets": the first 15 hex digits of SHA-256(id), modulo shard_count."""
    return int(hashlib.sha256(target_id.encode()).hexdigest()[:15], 16) % count


def pg_url(database):
    with open(os.path.join(PG_DIR, "url")) as f:
        return re.sub(r"/[^/]*$", "/" + database, f.read().strip())


def psql(database, sql):
    result = run([PSQL, pg_url(database), "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
    if result.returncode != 0:
        raise RuntimeError("psql: " + result.stderr)
    return result.stdout.strip()


def helm_template(name, values):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(values, f)
    rendered = run([HELM, "template", "r", CHART, "--namespace", "shop", "-f", path])
    if rendered.returncode != 0:
        raise RuntimeError("helm template: " + rendered.stderr)
    return documents(rendered.stdout)


def kustomize_overlay(name, files):
    """An overlay of the base with the fleet component and `files` as its migrations, as kubectl renders it."""
    folder = os.path.join(tmp, name)
    os.makedirs(os.path.join(folder, "migrations"))
    for file_name, content in files.items():
        with open(os.path.join(folder, "migrations", file_name), "w") as f:
            f.write(content)
    with open(os.path.join(folder, "kustomization.yaml"), "w") as f:
        yaml.safe_dump({"resources": [os.path.relpath(os.path.join(REPO, "manifests"), folder)],
                        "components": [os.path.relpath(os.path.join(REPO, "manifests", "components", "fleet"), folder)],
                        "configMapGenerator": [{"name": "lockstep-migrations", "behavior": "replace",
                                                "files": ["migrations/" + n for n in sorted(files)]}]}, f)
    rendered = run([KUBECTL, "kustomize", folder])
    if rendered.returncode != 0:
        raise RuntimeError("kubectl kustomize: " + rendered.stderr)
    return documents(rendered.stdout)


class FleetJob:
    """The one Job among rendered `objects` (helm template or kubectl kustomize), or
    the one with the given helm.sh/hook, and its pods."""

    def __init__(self, name, objects, hook=None):
        self.objects = objects
        jobs = [o for o in self.objects if o["kind"] == "Job" and
                (hook is None or o["metadata"].get("annotations", {}).get("helm.sh/hook") == hook)]
        if len(jobs) != 1:
            raise RuntimeError("expected one Job, got %s" % [j["metadata"]["name"] for j in jobs])
        self.job = jobs[0]
        self.name = name
        self.completions = self.job["spec"]["completions"]
        self.container = self.job["spec"]["template"]["spec"]["containers"][0]
        self.volumes = self.job["spec"]["template"]["spec"].get("volumes", [])

    def action_for(self, code):
        """What the rendered podFailurePolicy does with a pod that exited with `code`."""
        for rule in self.job["spec"]["podFailurePolicy"]["rules"]:
            on = rule.get("onExitCodes")
            if on and on["operator"] == "In" and code in on["values"]:
                return rule["action"]
        return "Count"

    def _folder(self, volume, secret_data):
        """A volume as the kubelet mounts it: a folder of its keys; None for the token."""
        folder = os.path.join(tmp, "%s-%s" % (self.name, volume["name"]))
        if "configMap" in volume:
            maps = [o for o in self.objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == volume["configMap"]["name"]]
            data = maps[0]["data"]
            items = volume["configMap"].get("items")
        elif "secret" in volume:
            data = secret_data[volume["secret"]["secretName"]]
            items = volume["secret"].get("items")
        else:
            return None
        os.makedirs(folder, exist_ok=True)
        for item in items or [{"key": k, "path": k} for k in data]:
            with open(os.path.join(folder, item["path"]), "w") as f:
                f.write(data[item["key"]])
        return folder

    def mount(self, secret_data):
        """mountPath -> local folder for the container's volumes, written before any pod starts."""
        mounts = {}
        for volume in self.volumes:
            folder = self._folder(volume, secret_data)
            for m in self.container.get("volumeMounts", []):
                if m["name"] == volume["name"] and folder:
                    mounts[m["mountPath"].rstrip("/")] = folder
        return mounts

    def start(self, index, secret_data, mounts):
        """Index `index`'s pod: the container's command, args and env, resolved."""
        pod_name = "%s-%d-%s" % (self.job["metadata"]["name"], index, secrets.token_hex(3)[:5])
        fields = {"metadata.name": pod_name, "metadata.namespace": "shop", "metadata.uid": str(uuid.uuid4()),
                  INDEX_ANNOTATION: str(index)}
        termination_log = os.path.join(tmp, "%s-%d-%s.termination-log" % (self.name, index, pod_name))
        # The kubelet's /dev/termination-log for this pod; everything else comes from the Job.
        env = {"PATH": "/usr/bin:/bin", "LOCKSTEP_TERMINATION_LOG": termination_log}
        for e in self.container["env"]:
            if "value" in e:
                value = e["value"]
                for path, folder in mounts.items():
                    if value == path or value.startswith(path + "/"):
                        value = folder + value[len(path):]
                env[e["name"]] = value
            elif "secretKeyRef" in e["valueFrom"]:
                ref = e["valueFrom"]["secretKeyRef"]
                env[e["name"]] = secret_data[ref["name"]][ref["key"]]
            else:
                env[e["name"]] = fields[e["valueFrom"]["fieldRef"]["fieldPath"]]
        argv = [LOCKSTEP] + self.container.get("command", ["/lockstep"])[1:] + self.container["args"]
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return Pod(index, pod_name, process, termination_log)


class Pod:
    def __init__(self, index, name, process, termination_log):
        self.index, self.name, self.process, self.termination_log = index, name, process, termination_log

    def stop_after_first_target(self):
        """SIGTERM, as the kubelet sends a pod it evicts, once a first target has finished."""
        self.read = ""
        for line in self.process.stdout:
            self.read += line
            if '"result"' in line:
                break
        self.process.send_signal(signal.SIGTERM)
        return self

    def wait(self):
        self.stdout, self.stderr = self.process.communicate()
        self.stdout = getattr(self, "read", "") + self.stdout
        self.code = self.process.returncode
        lines = [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]
        self.results = {r["target"]: r["result"] for r in lines if "target" in r and "result" in r}
        self.totals = [r for r in lines if "fleet" in r]
        with open(self.termination_log) if os.path.exists(self.termination_log) else open(os.devnull) as f:
            text = f.read()
        self.termination = json.loads(text) if text else {}
        return self


def run_indexes(job, indexes, secret_data):
    """The Indexed Job's pods, all at once (parallelism >= the indexes run here)."""
    mounts = job.mount(secret_data)
    pods = [job.start(i, secret_data, mounts) for i in indexes]
    return {p.index: p.wait() for p in pods}


def check_shares(name, job, pods, targets):
    shares = [set(p.results) for p in pods.values()]
    union = set().union(*shares)
    c.check(name + ": the shares cover every target", union == set(targets), str(sorted(set(targets) ^ union)))
    c.check(name + ": no target in two shares", sum(len(s) for s in shares) == len(union))
    c.check(name + ": each target in the share its id hashes to",
            all(shard_of(t, job.completions) == p.index for p in pods.values() for t in p.results),
            str({p.index: sorted(p.results) for p in pods.values()}))
    for p in pods.values():
        c.check(name + ": index %d's termination message counts its share" % p.index,
                p.termination.get("fleet", {}).get("targets") == len(p.results), json.dumps(p.termination)[:300])


if not c.check("LOCKSTEP_BINARY and LOCKSTEP_TEST_PG_DIR are set", os.access(LOCKSTEP, os.X_OK) and
               os.path.exists(os.path.join(PG_DIR, "url")), LOCKSTEP + " " + PG_DIR):
    c.finish()

suffix = secrets.token_hex(4)
databases = []

try:
    # --- 1. Schema per tenant: 30 tenant schemas in one database, 4 shards -------
    db = "fleetdeploy_schemas_" + suffix
    psql("postgres", "CREATE DATABASE " + db)
    databases.append(db)
    tenants = ["tenant_%02d" % i for i in range(30)]
    psql(db, "; ".join("CREATE SCHEMA " + t for t in tenants + ["tenantx", "other"]))
    job = FleetJob("schemas", helm_template("schemas", {
        "migrations": {"files": MIGRATIONS},
        "database": {"existingSecret": "tenants-db", "urlKey": "url"}, "config": {"connectTimeout": "10s"},
        "fleet": {"enabled": True, "schemas": "tenant\\_%", "shards": 4, "parallelism": 4, "parallel": 3}}))
    secret_data = {"tenants-db": {"url": pg_url(db)}}
    pods = run_indexes(job, range(job.completions), secret_data)
    c.check("schemas: every index exits 0", all(p.code == 0 for p in pods.values()),
            str({i: (p.code, p.stderr[-300:]) for i, p in pods.items()}))
    check_shares("schemas", job, pods, tenants)
    c.check("schemas: every target upgraded on the first run",
            all(r == "upgraded" for p in pods.values() for r in p.results.values()))
    owner = {t: p.name for p in pods.values() for t in p.results}
    history = {}
    for t in tenants:
        version = psql(db, "SELECT string_agg(version_num, ',') FROM %s.lockstep_version" % t)
        rows = psql(db, "SELECT string_agg(revision || ':' || direction || ':' || run_by, ' ' ORDER BY id) FROM %s.lockstep_history" % t)
        history[t] = rows
        c.check("schemas: %s at head, each revision applied once, by the pod of its index" % t,
                version == HEAD and rows == "f1:up:%s f2:up:%s" % (owner.get(t), owner.get(t)), version + " | " + rows)
    untouched = psql(db, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname IN ('public', 'tenantx', 'other')")
    c.check("schemas: nothing outside the fleet touched (public, tenantx, other)", untouched == "0", untouched)

    # A retried index (a pod lost after its work, or a Count failure): only its own share, at the goal already.
    again = run_indexes(job, [1], secret_data)[1]
    c.check("schemas: a retried index redoes only its own share", set(again.results) == set(pods[1].results) and
            again.code == 0, str(sorted(again.results)))
    c.check("schemas: ... and finds it at the goal", set(again.results.values()) == {"up-to-date"}, str(again.results))
    c.check("schemas: ... and applies nothing twice", all(
        psql(db, "SELECT string_agg(revision || ':' || direction || ':' || run_by, ' ' ORDER BY id) FROM %s.lockstep_history" % t)
        == history[t] for t in tenants))

    # A new release with one more revision, slow enough that index 2's pod is
    # evicted (SIGTERM) in the middle of its share; its replacement finishes it.
    slow = dict(MIGRATIONS, **{"0003_slow.sql": "-- Revision ID: f3\n-- Revises: f2\n-- Message: slow\n-- +upgrade\n"
                                                "ALTER TABLE accounts ADD COLUMN region text;\nSELECT pg_sleep(1);\n"
                                                "-- +downgrade\nALTER TABLE accounts DROP COLUMN region;\n"})
    job = FleetJob("schemas-v2", helm_template("schemas-v2", {
        "migrations": {"files": slow}, "database": {"existingSecret": "tenants-db", "urlKey": "url"},
        "config": {"connectTimeout": "10s"},
        "fleet": {"enabled": True, "schemas": "tenant\\_%", "shards": 4, "parallelism": 4, "parallel": 3}}))
    secret_data = {"tenants-db": {"url": pg_url(db)}}
    evicted = job.start(2, secret_data, job.mount(secret_data)).stop_after_first_target().wait()
    c.check("v2: the evicted pod exits 128+15 after rolling back, which the rendered policy counts (retried)",
            evicted.code == 143 and job.action_for(143) == "Count", "%s %s" % (evicted.code, evicted.stderr[-300:]))
    done = {t for t, r in evicted.results.items() if r == "upgraded"}
    c.check("v2: the evicted pod finished some of its share, not all", done and done != set(pods[2].results),
            str(evicted.results))
    replaced = run_indexes(job, range(job.completions), secret_data)
    c.check("v2: the replacement of index 2 and the other indexes exit 0", all(p.code == 0 for p in replaced.values()),
            str({i: (p.code, p.stderr[-300:]) for i, p in replaced.items()}))
    c.check("v2: index 2's replacement redoes only its share, finding done what the evicted pod did",
            replaced[2].results == {t: "up-to-date" if t in done else "upgraded" for t in pods[2].results},
            str(replaced[2].results))
    for t in tenants:
        rows = psql(db, "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM %s.lockstep_history "
                        "WHERE outcome = 'applied'" % t)
        c.check("v2: %s at the new head, f3 applied exactly once" % t,
                psql(db, "SELECT version_num FROM %s.lockstep_version" % t) == "f3" and rows == "f1:up f2:up f3:up", rows)

    # `helm rollback` to the first release runs its pre-rollback hook, with its
    # files (f1, f2) and its shards: `downgrade @files` reverts f3 on every
    # tenant, once; run again (a retried index), it reverts nothing.
    job = FleetJob("schemas-rollback", helm_template("schemas-rollback", {
        "migrations": {"files": MIGRATIONS}, "database": {"existingSecret": "tenants-db", "urlKey": "url"},
        "config": {"connectTimeout": "10s"}, "rollback": {"hook": {"enabled": True}},
        "fleet": {"enabled": True, "schemas": "tenant\\_%", "shards": 4, "parallelism": 4, "parallel": 3}}),
        hook="pre-rollback")
    c.check("rollback: the pre-rollback hook runs downgrade @files", job.container["args"] == ["downgrade", "@files"])
    rolled = run_indexes(job, range(job.completions), secret_data)
    c.check("rollback: every index exits 0", all(p.code == 0 for p in rolled.values()),
            str({i: (p.code, p.stderr[-300:]) for i, p in rolled.items()}))
    check_shares("rollback", job, rolled, tenants)
    reverted = {t: psql(db, "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM %s.lockstep_history "
                            "WHERE outcome IN ('applied', 'reverted')" % t) for t in tenants}
    c.check("rollback: every tenant back at the first release's head, f3 reverted exactly once",
            all(psql(db, "SELECT version_num FROM %s.lockstep_version" % t) == HEAD and reverted[t] == "f1:up f2:up f3:up f3:down"
                and psql(db, "SELECT count(*) FROM information_schema.columns WHERE table_schema = '%s' AND column_name = 'region'"
                         % t) == "0" for t in tenants), str(reverted)[:400])
    again = run_indexes(job, [3], secret_data)[3]
    c.check("rollback: run again, an index reverts nothing more", again.code == 0 and set(again.results) == set(rolled[3].results)
            and all(psql(db, "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM %s.lockstep_history "
                             "WHERE outcome IN ('applied', 'reverted')" % t) == reverted[t] for t in tenants),
            "%s %s" % (again.code, again.results))

    # --- 2. Database per tenant: a fleet file from a Secret, 3 shards, one database
    #        not there yet (exit 3, which the rendered policy retries), then retried.
    password = open(os.path.join(PG_DIR, "password")).read().strip()
    ids = ["tenant-%d" % i for i in range(9)]
    host = re.match(r"postgresql://[^@]*@([^/]+)/", pg_url("x")).group(1)
    lines = ["# one tenant database per line; the password comes from the environment, or for",
             "# tenant-0 from its own file in the password Secret"]
    for i, t in enumerate(ids):
        auth = "lockstep" if t == "tenant-0" else "lockstep:${TENANT_PASSWORD}"
        lines.append("%s postgresql://%s@%s/fleetdeploy_%s_%d" % (t, auth, host, suffix, i))
    job = FleetJob("databases", helm_template("databases", {
        "migrations": {"files": MIGRATIONS}, "config": {"connectTimeout": "10s"},
        "extraEnv": [{"name": "TENANT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "tenant-password", "key": "password"}}}],
        "fleet": {"enabled": True, "file": {"existingSecret": "tenants", "key": "fleet.txt"}, "shards": 3, "parallelism": 3,
                  "parallel": 1, "passwords": {"existingSecret": "tenant-passwords"}}}))
    secret_data = {"tenants": {"fleet.txt": "\n".join(lines) + "\n"}, "tenant-password": {"password": password},
                   "tenant-passwords": {"tenant-0": password + "\n"}}
    share1 = [t for t in ids if shard_of(t, 3) == 1]
    missing = share1[-1]  # the last of index 1's share in file order: the others of its share run first
    for i, t in enumerate(ids):
        if t != missing:
            psql("postgres", "CREATE DATABASE fleetdeploy_%s_%d" % (suffix, i))
            databases.append("fleetdeploy_%s_%d" % (suffix, i))
    pods = run_indexes(job, range(3), secret_data)
    check_shares("databases", job, pods, ids)
    c.check("databases: the indexes without the missing database exit 0", pods[0].code == 0 and pods[2].code == 0,
            str({i: (p.code, p.stderr[-300:]) for i, p in pods.items()}))
    c.check("databases: index 1 exits 3 (database unreachable) and the rendered policy retries it",
            pods[1].code == 3 and job.action_for(3) == "Count", "%s %s" % (pods[1].code, pods[1].stderr[-300:]))
    c.check("databases: ... after migrating the rest of its share",
            {t: r for t, r in pods[1].results.items() if t != missing} == {t: "upgraded" for t in share1 if t != missing} and
            pods[1].results.get(missing) == "failed", str(pods[1].results))
    c.check("databases: a configuration error fails the whole Job, a failed migration its index",
            job.action_for(2) == "FailJob" and job.action_for(5) == job.action_for(6) == "FailIndex")
    i = ids.index(missing)
    psql("postgres", "CREATE DATABASE fleetdeploy_%s_%d" % (suffix, i))
    databases.append("fleetdeploy_%s_%d" % (suffix, i))
    retry = run_indexes(job, [1], secret_data)[1]
    c.check("databases: the retried index succeeds", retry.code == 0, retry.stderr[-300:])
    c.check("databases: the retry redoes only its own share: the missing database upgraded, the rest at the goal",
            retry.results == {t: "upgraded" if t == missing else "up-to-date" for t in share1}, str(retry.results))
    for i, t in enumerate(ids):
        database = "fleetdeploy_%s_%d" % (suffix, i)
        try:
            rows = psql(database, "SELECT string_agg(revision || ':' || direction, ' ' ORDER BY id) FROM lockstep_history")
            version = psql(database, "SELECT version_num FROM lockstep_version")
        except RuntimeError as e:  # never migrated: no lockstep tables
            rows, version = str(e), ""
        c.check("databases: %s at head, each revision applied exactly once" % t, version == HEAD and rows == "f1:up f2:up", rows)
    everything = "".join(p.stdout + p.stderr + json.dumps(p.termination) for p in list(pods.values()) + [retry])
    c.check("databases: the password never appears in output or termination messages", password not in everything)

    # --- 3. The kustomize component as it ships: its own 4 shards of tenant\_%. ----
    db = "fleetdeploy_kustomize_" + suffix
    psql("postgres", "CREATE DATABASE " + db)
    databases.append(db)
    tenants = ["tenant_%02d" % i for i in range(12)]
    psql(db, "; ".join("CREATE SCHEMA " + t for t in tenants + ["tenantx"]))
    job = FleetJob("kustomize", kustomize_overlay("kustomize", MIGRATIONS))
    pods = run_indexes(job, range(job.completions), {"app-database": {"url": pg_url(db)}})
    c.check("kustomize: every index exits 0", all(p.code == 0 for p in pods.values()),
            str({i: (p.code, p.stderr[-300:]) for i, p in pods.items()}))
    check_shares("kustomize", job, pods, tenants)
    c.check("kustomize: every tenant at head, each revision applied once",
            all(psql(db, "SELECT string_agg(revision, ',' ORDER BY id) FROM %s.lockstep_history" % t) == "f1,f2" and
                psql(db, "SELECT version_num FROM %s.lockstep_version" % t) == HEAD for t in tenants))
    c.check("kustomize: tenantx is no tenant (LIKE's escaped underscore)",
            psql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'tenantx'") == "0")
finally:
    for database in databases:
        try:
            psql("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % database)
        except RuntimeError as e:
            print("cleanup:", e)
    shutil.rmtree(tmp)
c.finish()
