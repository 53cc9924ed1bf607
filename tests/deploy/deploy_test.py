#!/usr/bin/python3
"""The kustomize base (manifests/), rendered by the pinned kubectl 1.32 as a
user would (`kubectl kustomize manifests/`, no flags), and through an overlay
as a user's would be: every object valid against Kubernetes' OpenAPI schemas,
an overlay that can be applied again after its migrations change (no Job with
a fixed name whose template changes), least privilege, the one-off rollback
component, the fleet component's Indexed Job. Also: the chart's values.yaml
against its schema, and yamllint over the plain YAML."""

import json
import os
import shutil
import tempfile

import jsonschema
import yaml

from support import KUBECTL, REPO, Checks, documents, example_migrations, pod_specs, restricted, run, schema_errors

MANIFESTS = os.path.join(REPO, "manifests")
c = Checks()
tmp = tempfile.mkdtemp(prefix="lockstep-kustomize-test-")


def kustomize(name, folder):
    result = run([KUBECTL, "kustomize", folder])
    if not c.check(name + ": kubectl kustomize renders", result.returncode == 0, result.stderr):
        return []
    objects = documents(result.stdout)
    errors = schema_errors(objects)
    c.check(name + ": every object matches the Kubernetes OpenAPI schema", not errors, "; ".join(errors))
    return objects


def overlay(name, files, components=()):
    """An overlay as a user writes it: the base by relative path, their migrations in their folder."""
    folder = os.path.join(tmp, name)
    os.makedirs(os.path.join(folder, "migrations"))
    for file_name, content in files.items():
        with open(os.path.join(folder, "migrations", file_name), "w") as f:
            f.write(content)
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [os.path.relpath(MANIFESTS, folder)],
        "components": [os.path.relpath(os.path.join(MANIFESTS, "components", comp), folder) for comp in components],
        "configMapGenerator": [{"name": "lockstep-migrations", "behavior": "replace",
                                "files": ["migrations/" + n for n in sorted(files)]}],
        "images": [{"name": "app", "newName": "registry.example.com/shop", "newTag": "1.4.0"}],
    }
    with open(os.path.join(folder, "kustomization.yaml"), "w") as f:
        yaml.safe_dump(kustomization, f)
    return kustomize(name, folder)


def by_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


# 1. The base renders as it is, ships no migrations and no Job.
base = kustomize("base", MANIFESTS)
c.check("base: objects", sorted(o["kind"] for o in base) == ["ConfigMap", "Deployment", "Role", "RoleBinding",
                                                             "ServiceAccount"], str([o["kind"] for o in base]))
cms = by_kind(base, "ConfigMap")
c.check("base: the migrations ConfigMap is empty (the base ships none)", cms and not cms[0].get("data"), str(cms))
c.check("base: no Job (a Job's template is immutable; see kustomization.yaml)", not by_kind(base, "Job"))

# 2. The Deployment: lockstep as the init container, the token for it alone.
for d in by_kind(base, "Deployment"):
    pod = d["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    c.check("base: the init container migrates", init["args"] == ["upgrade", "heads"], str(init["args"]))
    c.check("base: image rewritten", init["image"] == "ghcr.io/lockstep/lockstep:0.1.0", init["image"])
    c.check("base: restricted securityContext", restricted(init))
    c.check("base: termination message policy", init["terminationMessagePolicy"] == "FallbackToLogsOnError")
    env = {e["name"]: e for e in init["env"]}
    c.check("base: downward API", env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name" and
            env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace")
    c.check("base: URL from a Secret", "secretKeyRef" in env["LOCKSTEP_DATABASE_URL"]["valueFrom"])
    c.check("base: no pod-wide token", pod["automountServiceAccountToken"] is False)
    c.check("base: the projected token is mounted into lockstep only",
            "lockstep-token" in [m["name"] for m in init["volumeMounts"]] and
            all("lockstep-token" not in [m["name"] for m in ct.get("volumeMounts", [])] for ct in pod["containers"]))
    c.check("base: the volume is the generated ConfigMap",
            [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] == [cms[0]["metadata"]["name"]])
role = by_kind(base, "Role")
c.check("base: minimal Role", role and role[0]["rules"] == [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}], str(role))

# 3. An overlay with the example app's migrations, then with one more: the
#    second apply changes only mutable fields (a new ConfigMap name in the
#    Deployment's template), so `kubectl apply -k` works again and again.
files = example_migrations()
first = overlay("v1", files)
more = dict(files, **{"9f9f9f9f9f9f_add_avatar.sql": "-- Revision ID: 9f9f9f9f9f9f\n-- Revises: 3f2a9c1e7b4d\n"
                      "-- +upgrade\nALTER TABLE users ADD COLUMN avatar text;\n"
                      "-- +downgrade\nALTER TABLE users DROP COLUMN avatar;\n"})
second = overlay("v2", more)
cm1 = by_kind(first, "ConfigMap")
cm2 = by_kind(second, "ConfigMap")
if c.check("overlay: one ConfigMap each", len(cm1) == 1 and len(cm2) == 1):
    c.check("overlay: holds the files byte for byte", cm1[0]["data"] == files)
    c.check("overlay: new migrations, new ConfigMap name", cm1[0]["metadata"]["name"] != cm2[0]["metadata"]["name"])
    for objs, cm in ((first, cm1), (second, cm2)):
        for d in by_kind(objs, "Deployment"):
            c.check("overlay: the pods mount their own ConfigMap", cm[0]["metadata"]["name"] in
                    [v["configMap"]["name"] for v in d["spec"]["template"]["spec"]["volumes"] if "configMap" in v])
            c.check("overlay: the app's image", d["spec"]["template"]["spec"]["containers"][0]["image"] ==
                    "registry.example.com/shop:1.4.0")
    names = lambda objs: {(o["kind"], o["metadata"]["name"]) for o in objs if o["kind"] != "ConfigMap"}
    c.check("overlay: the second apply updates the same objects (no immutable Job)",
            names(first) == names(second) and not by_kind(second, "Job"))

# 4. The rollback component: `downgrade @files` with the overlay's own files.
rolled = overlay("rollback", files, components=["rollback"])
jobs = by_kind(rolled, "Job")
if c.check("rollback component: one Job", len(jobs) == 1):
    pod = jobs[0]["spec"]["template"]["spec"]
    ct = pod["containers"][0]
    c.check("rollback component: downgrade @files", ct["args"] == ["downgrade", "@files"], str(ct["args"]))
    c.check("rollback component: mounts the overlay's ConfigMap",
            [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] ==
            [o["metadata"]["name"] for o in by_kind(rolled, "ConfigMap")])
    c.check("rollback component: restricted, no pod-wide token", restricted(ct) and pod["automountServiceAccountToken"] is False)
    c.check("rollback component: cleans itself up", jobs[0]["spec"]["ttlSecondsAfterFinished"] > 0)

# 5. The fleet component: an Indexed Job over the fleet, the base's init
#    container (which would migrate database_url itself) taken out.
fleet = overlay("fleet", files, components=["fleet"])
jobs = by_kind(fleet, "Job")
if c.check("fleet component: one Job", len(jobs) == 1):
    spec = jobs[0]["spec"]
    pod = spec["template"]["spec"]
    ct = pod["containers"][0]
    env = {e["name"]: e for e in ct["env"]}
    c.check("fleet component: an Indexed Job, lockstep's shard_count = completions",
            spec["completionMode"] == "Indexed" and env["LOCKSTEP_SHARD_COUNT"]["value"] == str(spec["completions"]) and
            spec["parallelism"] >= 1, str(spec["completions"]))
    c.check("fleet component: per-index retries, the first failed index stops the Job",
            spec["backoffLimitPerIndex"] == 2 and spec["maxFailedIndexes"] == 0 and "backoffLimit" not in spec)
    c.check("fleet component: 2 fails the Job, 5 and 6 the index, 1, 3 and 4 are retried, a drain is no failure",
            [(r["action"], r.get("onExitCodes", {}).get("values")) for r in spec["podFailurePolicy"]["rules"]] ==
            [("FailJob", [2]), ("FailIndex", [5, 6]), ("Count", [1, 3, 4]), ("Ignore", None)] and
            all(r["onExitCodes"]["containerName"] == ct["name"] for r in spec["podFailurePolicy"]["rules"] if "onExitCodes" in r))
    c.check("fleet component: JOB_COMPLETION_INDEX from the index annotation, the targets by pattern",
            env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] ==
            "metadata.annotations['batch.kubernetes.io/job-completion-index']" and
            env["LOCKSTEP_FLEET_SCHEMAS"]["value"] == "tenant\\_%" and ct["args"] == ["upgrade", "heads"])
    c.check("fleet component: the URL from a Secret", "secretKeyRef" in env["LOCKSTEP_DATABASE_URL"]["valueFrom"])
    c.check("fleet component: mounts the overlay's ConfigMap",
            [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] ==
            [o["metadata"]["name"] for o in by_kind(fleet, "ConfigMap")])
    c.check("fleet component: restricted, the token for lockstep alone, cleans itself up",
            restricted(ct) and pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == "lockstep" and
            "lockstep-token" in [m["name"] for m in ct["volumeMounts"]] and spec["ttlSecondsAfterFinished"] > 0)
for d in by_kind(fleet, "Deployment"):
    c.check("fleet component: the app's pods run no lockstep (database_url is no target of the fleet)",
            "initContainers" not in d["spec"]["template"]["spec"] and
            all(not ct["name"].startswith("lockstep") for ct in d["spec"]["template"]["spec"]["containers"]))
c.check("fleet component: the base's RBAC as it is", by_kind(fleet, "Role") == by_kind(base, "Role"))

# 6. The chart's values match its schema.
chart = os.path.join(REPO, "charts", "lockstep")
with open(os.path.join(chart, "values.yaml")) as f:
    values = yaml.safe_load(f)
with open(os.path.join(chart, "values.schema.json")) as f:
    schema = json.load(f)
try:
    jsonschema.validate(values, schema)
    c.check("values.yaml matches values.schema.json", True)
except jsonschema.ValidationError as e:
    c.check("values.yaml matches values.schema.json", False, str(e))

# 7. yamllint over the plain YAML (templates are not YAML until rendered).
lint_targets = [MANIFESTS, os.path.join(chart, "values.yaml"), os.path.join(chart, "Chart.yaml"), os.path.join(chart, "ci"),
                os.path.join(REPO, "tests", "deploy", "app-chart", "Chart.yaml"),
                os.path.join(REPO, "tests", "deploy", "app-chart", "values.yaml")]
lint = run(["yamllint", "-c", os.path.join(REPO, ".yamllint")] + lint_targets)
c.check("yamllint clean", lint.returncode == 0, lint.stdout + lint.stderr)

shutil.rmtree(tmp)
c.finish()
