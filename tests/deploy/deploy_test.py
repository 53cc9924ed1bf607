#!/usr/bin/python3
"""The deployment artifacts: the kustomize base renders and says what it
should, the Helm chart's values match its schema, and every YAML file is
yamllint-clean. (Helm itself cannot be installed here; scripts/check-chart
runs `helm lint` and `helm template` where it exists.)"""

import glob
import json
import os
import subprocess
import sys

import jsonschema
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []
passed = 0


def check(name, condition, detail=""):
    global passed
    if condition:
        passed += 1
    else:
        failures.append("%s %s" % (name, detail))


def restricted(container):
    sc = container.get("securityContext", {})
    return (sc.get("runAsNonRoot") is True and sc.get("readOnlyRootFilesystem") is True
            and sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"]
            and sc.get("seccompProfile", {}).get("type") == "RuntimeDefault")


# 1. kustomize renders, with every object the base promises.
rendered = subprocess.run(["kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                           os.path.join(REPO, "manifests")], capture_output=True, text=True)
check("kustomize renders", rendered.returncode == 0, rendered.stderr)
docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
kinds = sorted(d["kind"] for d in docs)
check("kustomize objects", kinds == ["ConfigMap", "Deployment", "Job", "Job", "Role", "RoleBinding",
                                     "ServiceAccount"], str(kinds))
by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}

configmaps = [d for d in docs if d["kind"] == "ConfigMap"]
if configmaps:
    data = configmaps[0]["data"]
    for path in glob.glob(os.path.join(REPO, "migrations", "*.sql")):
        with open(path) as f:
            check("ConfigMap holds " + os.path.basename(path), data.get(os.path.basename(path)) == f.read())
    cm_name = configmaps[0]["metadata"]["name"]
    check("ConfigMap name has a content hash", cm_name.startswith("lockstep-migrations-"), cm_name)

migrate = by_name.get(("Job", "lockstep-migrate"))
check("migration Job exists", migrate is not None)
if migrate:
    spec = migrate["spec"]
    rules = spec["podFailurePolicy"]["rules"]
    fail_codes = [r["onExitCodes"]["values"] for r in rules if r["action"] == "FailJob"]
    count_codes = [r["onExitCodes"]["values"] for r in rules if r["action"] == "Count"]
    check("fails at once on 2, 5, 6", fail_codes == [[2, 5, 6]], str(fail_codes))
    check("retries 1, 3, 4", count_codes == [[1, 3, 4]], str(count_codes))
    check("restartPolicy Never", spec["template"]["spec"]["restartPolicy"] == "Never")
    container = spec["template"]["spec"]["containers"][0]
    check("migrates to heads", container["args"] == ["upgrade", "heads"])
    check("image rewritten", container["image"] == "ghcr.io/lockstep/lockstep:0.1.0", container["image"])
    check("restricted securityContext (Job)", restricted(container))
    check("termination message policy", container["terminationMessagePolicy"] == "FallbackToLogsOnError")
    env = {e["name"]: e for e in container["env"]}
    check("downward API POD_NAME", env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name")
    check("URL from a Secret", "secretKeyRef" in env["LOCKSTEP_DATABASE_URL"]["valueFrom"])
    mounts = container["volumeMounts"]
    volumes = spec["template"]["spec"]["volumes"]
    check("migrations mounted", mounts[0]["mountPath"] == "/migrations")
    check("volume is the generated ConfigMap", volumes[0]["configMap"]["name"] == cm_name)

rollback = by_name.get(("Job", "lockstep-rollback"))
check("rollback Job exists and is suspended", rollback is not None and rollback["spec"]["suspend"] is True)
if rollback:
    check("rollback downgrades", rollback["spec"]["template"]["spec"]["containers"][0]["args"][0] == "downgrade")

deployment = by_name.get(("Deployment", "chat"))
check("example Deployment exists", deployment is not None)
if deployment:
    init = deployment["spec"]["template"]["spec"]["initContainers"][0]
    check("init container waits", init["args"][:1] == ["wait"], str(init["args"]))
    check("restricted securityContext (init)", restricted(init))

role = by_name.get(("Role", "lockstep"))
check("Role exists", role is not None)
if role:
    check("minimal Role", role["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "patch"]},
        {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}], str(role["rules"]))

# 2. The chart's values match its schema; Chart.yaml is complete.
chart = os.path.join(REPO, "charts", "lockstep")
with open(os.path.join(chart, "values.yaml")) as f:
    values = yaml.safe_load(f)
with open(os.path.join(chart, "values.schema.json")) as f:
    schema = json.load(f)
try:
    jsonschema.validate(values, schema)
    check("values.yaml matches values.schema.json", True)
except jsonschema.ValidationError as e:
    check("values.yaml matches values.schema.json", False, str(e))
bad = dict(values, kubernetes=dict(values["kubernetes"], annotate="sometimes"))
try:
    jsonschema.validate(bad, schema)
    check("the schema rejects a bad annotate mode", False)
except jsonschema.ValidationError:
    check("the schema rejects a bad annotate mode", True)
with open(os.path.join(chart, "Chart.yaml")) as f:
    meta = yaml.safe_load(f)
check("Chart.yaml", meta.get("apiVersion") == "v2" and meta.get("name") == "lockstep" and meta.get("version"))
for template in ("job-migrate.yaml", "job-rollback.yaml", "configmap-migrations.yaml", "rbac.yaml", "NOTES.txt",
                 "_helpers.tpl"):
    check("chart template " + template, os.path.exists(os.path.join(chart, "templates", template)))

# 3. yamllint over the plain YAML (templates are not YAML until rendered).
lint_targets = [os.path.join(REPO, "manifests"), os.path.join(chart, "values.yaml"), os.path.join(chart, "Chart.yaml")]
lint = subprocess.run(["yamllint", "-c", os.path.join(REPO, ".yamllint")] + lint_targets, capture_output=True, text=True)
check("yamllint clean", lint.returncode == 0, lint.stdout + lint.stderr)

for f in failures:
    print("FAIL", f)
print("%d passed, %d failed" % (passed, len(failures)))
sys.exit(1 if failures else 0)
