#!/usr/bin/python3
"""charts/lockstep through a release lifecycle, with the real helm 3.17:
`helm lint --strict`, `helm template` over a matrix of value sets and over a
small app chart that depends on lockstep, every rendered object validated
against Kubernetes' OpenAPI schemas, and the lifecycle properties asserted on
the rendered objects (names, hooks, content-addressed ConfigMaps, RBAC,
tokens, rollback)."""

import base64
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile

import yaml

from support import (HELM, HERE, REPO, Checks, documents, example_migrations, pod_specs, policy_errors, restricted, run,
                     schema_errors)

CHART = os.path.join(REPO, "charts", "lockstep")
c = Checks()
tmp = tempfile.mkdtemp(prefix="lockstep-chart-test-")


def values_file(name, values):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(values, f)
    return path


EXAMPLE = values_file("example", {"migrations": {"files": example_migrations()}})
APP_VALUES = values_file("app", {"lockstep": {"migrations": {"files": example_migrations()}}})
# Renders whose arguments give the example app's migrations; no other render may contain them.
def gives_example(args):
    return EXAMPLE in args or APP_VALUES in args or "--set-file" in args
OTHER = values_file("other", {"migrations": {"files": {"0001_init.sql": "-- Revision ID: r1\n-- +upgrade\nSELECT 1;\n"}}})


def template(args, release="r", chart=CHART):
    return run([HELM, "template", release, chart, "--namespace", "shop"] + args)


def render(name, args, release="r", chart=CHART):
    """Renders, checks that it worked and that every object is valid; returns the objects."""
    result = template(args, release, chart)
    if not c.check(name + ": renders", result.returncode == 0, result.stderr):
        return []
    objects = documents(result.stdout)
    errors = schema_errors(objects)
    c.check(name + ": every object matches the Kubernetes OpenAPI schema", not errors, "; ".join(errors))
    common_properties(name, objects, gives_example(args))
    return objects


def refused(name, args, message):
    result = template(args)
    c.check(name + ": refused", result.returncode != 0 and message in result.stderr, result.stderr.strip()[-400:])


def find(objects, kind, component=None):
    return [o for o in objects if o["kind"] == kind and
            (component is None or o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component)]


def hook_of(obj):
    return obj["metadata"].get("annotations", {}).get("helm.sh/hook", "")


def lockstep_containers(pod):
    return [ct for ct in pod.get("initContainers", []) + pod.get("containers", []) if ct["name"].startswith("lockstep")]


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def common_properties(name, objects, example_given):
    """What holds for every render: names fit, labels, least privilege, hygiene."""
    names = [(o["kind"], o["metadata"]["name"]) for o in objects]
    c.check(name + ": names fit 63 characters", all(len(n) <= 63 for _, n in names), str(names))
    c.check(name + ": names are unique per kind", len(set(names)) == len(names), str(names))
    for o in objects:
        labels = o["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/part-of") == "lockstep":
            c.check(name + ": %s/%s has version and component labels" % (o["kind"], o["metadata"]["name"]),
                    "app.kubernetes.io/version" in labels and "app.kubernetes.io/component" in labels, str(labels))
    for o in objects:
        for where, pod in pod_specs(o):
            containers = lockstep_containers(pod)
            if not containers:
                continue
            c.check(name + ": %s: no pod-wide token" % where, pod.get("automountServiceAccountToken") is False)
            c.check(name + ": %s: restricted securityContext" % where, all(restricted(ct) for ct in containers))
            token = [v for v in pod.get("volumes", []) if v["name"] == "lockstep-token"]
            for ct in pod.get("initContainers", []) + pod.get("containers", []):
                mounts = [m["name"] for m in ct.get("volumeMounts", [])]
                if not ct["name"].startswith("lockstep"):
                    c.check(name + ": %s: the token is not in the app's container %s" % (where, ct["name"]),
                            "lockstep-token" not in mounts, str(mounts))
                elif token:
                    c.check(name + ": %s: the token is mounted into %s" % (where, ct["name"]), "lockstep-token" in mounts)
            if token:
                sources = token[0]["projected"]["sources"]
                c.check(name + ": %s: a projected, expiring token" % where,
                        sources[0]["serviceAccountToken"]["expirationSeconds"] <= 3607)
    # An ordinary (non-hook) Job is only ever the explicit rollback Job.
    for job in find(objects, "Job"):
        if not hook_of(job) and "argocd.argoproj.io/hook" not in job["metadata"].get("annotations", {}):
            c.check(name + ": the only ordinary Job is the explicit rollback", job["metadata"]["labels"][
                "app.kubernetes.io/component"] == "rollback" and job["metadata"]["name"].startswith(
                    job["metadata"]["labels"]["app.kubernetes.io/instance"][:20]), job["metadata"]["name"])
    text = yaml.safe_dump_all(objects)
    for table in ("CREATE TABLE users", "CREATE TABLE conversations", "CREATE TABLE messages"):
        if table in text:
            c.check(name + ": the example app only where it was given", example_given, table)


# --- lint and the chart itself ---------------------------------------------
lint = run([HELM, "lint", "--strict", CHART, "-f", EXAMPLE])
c.check("helm lint --strict", lint.returncode == 0, lint.stdout + lint.stderr)
lint_image = run([HELM, "lint", "--strict", CHART, "--set", "migrations.fromImage=true"])
c.check("helm lint --strict (image-baked)", lint_image.returncode == 0, lint_image.stdout + lint_image.stderr)

for ci_values in sorted(os.listdir(os.path.join(CHART, "ci"))):
    ci_lint = run([HELM, "lint", "--strict", CHART, "-f", os.path.join(CHART, "ci", ci_values)])
    c.check("helm lint --strict with ci/" + ci_values, ci_lint.returncode == 0, ci_lint.stdout + ci_lint.stderr)
    render("ci/" + ci_values, ["-f", os.path.join(CHART, "ci", ci_values)])

package = run([HELM, "package", CHART, "--destination", tmp])
c.check("helm package", package.returncode == 0, package.stderr)
tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")]
if tgz:
    with tarfile.open(os.path.join(tmp, tgz[0])) as t:
        members = t.getnames()
    c.check("the packaged chart carries no migrations", not [m for m in members if m.endswith(".sql")], str(members))
    c.check("the packaged chart carries no test values", not [m for m in members if "/ci/" in m], str(members))
c.check("no files/migrations in the chart", not os.path.lexists(os.path.join(CHART, "files", "migrations")))

with open(os.path.join(CHART, "Chart.yaml")) as f:
    meta = yaml.safe_load(f)
with open(os.path.join(CHART, "templates", "_helpers.tpl")) as f:
    helpers = f.read()
fallbacks = dict(re.findall(r'define "lockstep\.(chartVersion|appVersion)" -}}\n.*?else -}}([^{]+){{', helpers))
c.check("the helpers' fallback versions are Chart.yaml's", fallbacks == {"chartVersion": meta["version"],
                                                                          "appVersion": meta["appVersion"]}, str(fallbacks))

refused("Kubernetes before 1.26 (podFailurePolicy)", ["--set", "migrations.fromImage=true", "--kube-version", "1.25.0"],
        "kubeVersion")

# --- no migrations: a clear refusal -----------------------------------------
refused("defaults (no migrations)", [], "no migrations given")
refused("two sources", ["-f", EXAMPLE, "--set", "migrations.fromImage=true"], "exactly one of")

# --- the example app's migrations from a values file ------------------------
objs = render("example values file", ["-f", EXAMPLE])
cms = find(objs, "ConfigMap")
pods_cm = [cm for cm in cms if not hook_of(cm)]
hook_cm = [cm for cm in cms if hook_of(cm)]
c.check("example: one ConfigMap for pods, one for the hooks", len(pods_cm) == 1 and len(hook_cm) == 1, str(cms))
if pods_cm and hook_cm:
    c.check("example: the pods' ConfigMap is named after its content",
            re.fullmatch(r"r-lockstep-migrations-[0-9a-f]{10}", pods_cm[0]["metadata"]["name"]),
            pods_cm[0]["metadata"]["name"])
    c.check("example: byte-exact files", pods_cm[0]["data"] == example_migrations() == hook_cm[0]["data"])
    c.check("example: the pods' ConfigMap is immutable and kept", pods_cm[0].get("immutable") is True and
            pods_cm[0]["metadata"]["annotations"].get("helm.sh/resource-policy") == "keep")
    c.check("example: the hook copy is a pre-install/pre-upgrade hook, deleted on success",
            hook_of(hook_cm[0]) == "pre-install,pre-upgrade" and
            hook_cm[0]["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded")
migrate = find(objs, "Job", "migrate")
if c.check("example: one migration Job", len(migrate) == 1):
    job = migrate[0]
    ann = job["metadata"]["annotations"]
    c.check("example: the Job is a pre-install/pre-upgrade hook after its ConfigMap and RBAC",
            hook_of(job) == "pre-install,pre-upgrade" and int(ann["helm.sh/hook-weight"]) >
            int(hook_cm[0]["metadata"]["annotations"]["helm.sh/hook-weight"]) if hook_cm else False)
    spec = job["spec"]
    pod = spec["template"]["spec"]
    ct = pod["containers"][0]
    c.check("example: upgrade heads", ct["args"] == ["upgrade", "heads"], str(ct["args"]))
    c.check("example: the Job mounts the hook copy", [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v]
            == [hook_cm[0]["metadata"]["name"]] if hook_cm else False)
    rules = spec["podFailurePolicy"]["rules"]
    c.check("example: fails at once on 2, 5, 6; retries 1, 3, 4",
            [r["onExitCodes"]["values"] for r in rules if "onExitCodes" in r] == [[2, 5, 6], [1, 3, 4]])
    env = env_of(ct)
    lock_timeout = int(env["LOCKSTEP_LOCK_TIMEOUT"].rstrip("s"))
    c.check("example: the Job's deadline fits helm's default --timeout (5m) and exceeds the lock timeout",
            lock_timeout < spec["activeDeadlineSeconds"] < 300, "%s %s" % (lock_timeout, spec["activeDeadlineSeconds"]))
    c.check("example: the hook Job runs as the hook ServiceAccount", pod["serviceAccountName"] == "r-lockstep-hook")
roles = find(objs, "Role")
c.check("example: Roles grant pod patch and event create only",
        roles and all(r["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]},
                                     {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}]
                      for r in roles), str([r["rules"] for r in roles]))
sas = find(objs, "ServiceAccount")
c.check("example: the pods' ServiceAccount is ordinary (kept across upgrades), the hooks' one a hook",
        sorted((s["metadata"]["name"], hook_of(s)) for s in sas) ==
        [("r-lockstep", ""), ("r-lockstep-hook", "pre-install,pre-upgrade")], str([s["metadata"] for s in sas]))
c.check("example: no rollback anything by default", not find(objs, "Job", "rollback"))
c.check("example: no admission policy by default", not find(objs, "ValidatingAdmissionPolicy"))

# --- running pods are never blocked: ConfigMap names follow content ---------
other = render("other migrations", ["-f", OTHER])
other_cm = [cm["metadata"]["name"] for cm in find(other, "ConfigMap") if not hook_of(cm)]
c.check("two migration sets give two ConfigMap names", pods_cm and other_cm and
        other_cm[0] != pods_cm[0]["metadata"]["name"], str(other_cm))
again = render("example again", ["-f", EXAMPLE])
c.check("the same migrations give the same ConfigMap name",
        [cm["metadata"]["name"] for cm in find(again, "ConfigMap")] == [cm["metadata"]["name"] for cm in cms])
weights = render("hook weights", ["-f", OTHER, "--set", "migrate.hookWeight=-30", "--set", "rollback.hook.enabled=true",
                                   "--set", "rollback.hook.hookWeight=5"])
weight_of = {(o["kind"], hook_of(o)): int(o["metadata"]["annotations"]["helm.sh/hook-weight"]) for o in weights if hook_of(o)}
c.check("hook weights: RBAC, then the ConfigMap, then the Jobs, whatever their weights",
        weight_of.get(("Role", "pre-install,pre-upgrade,pre-rollback")) == -50 and
        weight_of.get(("ConfigMap", "pre-install,pre-upgrade,pre-rollback")) == -40 and
        weight_of.get(("Job", "pre-install,pre-upgrade")) == -30 and weight_of.get(("Job", "pre-rollback")) == 5, str(weight_of))
not_kept = render("keepOldConfigMaps=false", ["-f", OTHER, "--set", "migrations.keepOldConfigMaps=false"])
c.check("keepOldConfigMaps=false: no resource-policy",
        all("annotations" not in cm["metadata"] for cm in find(not_kept, "ConfigMap") if not hook_of(cm)))

# --- --set-file, and content YAML would misread -----------------------------
set_file = []
for name in example_migrations():
    set_file += ["--set-file", "migrations.files.%s=%s" % (name.replace(".", "\\."), os.path.join(REPO, "migrations", name))]
objs = render("example --set-file", set_file)
c.check("--set-file: the same ConfigMap as the values file",
        [cm["metadata"]["name"] for cm in find(objs, "ConfigMap") if not hook_of(cm)] ==
        [cm["metadata"]["name"] for cm in pods_cm])
odd = {"0001_odd.sql": "  -- Revision ID: odd\n-- +upgrade\nSELECT ': {}' AS x;\n\ttab\n", "0002_empty_tail.sql": "x\n\n\n"}
objs = render("leading spaces", ["-f", values_file("odd", {"migrations": {"files": odd}})])
c.check("a file starting with spaces, tabs and trailing newlines survives byte for byte",
        all(cm["data"] == odd for cm in find(objs, "ConfigMap")))
big = {"%04d_big.sql" % i: "-- " + "x" * 4000 + "\n" for i in range(300)}
refused("1.2 MB of migrations", ["-f", values_file("big", {"migrations": {"files": big}})], "at most 1 MiB")
refused("a file name a ConfigMap cannot hold", ["--set-json", 'migrations.files={"a b.sql":"x"}'], "migrations.files")

# --- image-baked migrations --------------------------------------------------
objs = render("image-baked", ["--set", "migrations.fromImage=true", "--set", "image.repository=registry.example.com/app-migrations",
                              "--set", "image.digest=sha256:" + "a" * 64])
c.check("image-baked: no ConfigMap", not find(objs, "ConfigMap"))
for job in find(objs, "Job"):
    pod = job["spec"]["template"]["spec"]
    c.check("image-baked: no migrations volume", all(v["name"] != "lockstep-migrations" for v in pod.get("volumes", [])))
    c.check("image-baked: image by digest", pod["containers"][0]["image"] ==
            "registry.example.com/app-migrations@sha256:" + "a" * 64)
    c.check("image-baked: LOCKSTEP_MIGRATIONS", env_of(pod["containers"][0])["LOCKSTEP_MIGRATIONS"] == "/migrations")

# --- existing ConfigMap -------------------------------------------------------
objs = render("existingConfigMap", ["--set", "migrations.existingConfigMap=shop-migrations-v42"])
c.check("existingConfigMap: none rendered", not find(objs, "ConfigMap"))
for job in find(objs, "Job"):
    c.check("existingConfigMap: mounted", [v["configMap"]["name"] for v in job["spec"]["template"]["spec"]["volumes"]
                                           if "configMap" in v] == ["shop-migrations-v42"])

# --- a bundle (lockstep bundle) as one binaryData key --------------------------
# The bundles come from the built lockstep (LOCKSTEP_BINARY), and what the chart
# renders is decoded and read back by it: the ConfigMap holds a working bundle.
LOCKSTEP = os.environ.get("LOCKSTEP_BINARY", "")
if c.check("LOCKSTEP_BINARY names the built lockstep (for bundles)", os.access(LOCKSTEP, os.X_OK), LOCKSTEP):
    def lockstep(*args):
        return run([LOCKSTEP, "--log-level", "warn"] + list(args))

    def make_bundle(name, files):
        folder = os.path.join(tmp, name)
        os.makedirs(folder)
        for file_name, text in files.items():
            with open(os.path.join(folder, file_name), "w") as f:
                f.write(text)
        made = lockstep("--migrations", folder, "bundle", folder + ".bundle")
        c.check("lockstep bundle " + name, made.returncode == 0, made.stderr)
        with open(folder + ".bundle", "rb") as f:
            return folder, f.read()

    example_folder, example_bundle = make_bundle("example-bundle", example_migrations())
    example_b64 = base64.b64encode(example_bundle).decode()
    bundle_values = values_file("bundle", {"migrations": {"bundle": example_b64}})
    objs = render("bundle", ["-f", bundle_values])
    cms = find(objs, "ConfigMap")
    pods_bundle_cm = [cm for cm in cms if not hook_of(cm)]
    c.check("bundle: one ConfigMap for pods, one for the hooks, each the bundle as one binaryData key",
            len(cms) == 2 and all(cm.get("binaryData") == {"bundle": example_b64} and "data" not in cm for cm in cms),
            str([cm.get("binaryData", cm.get("data")) for cm in cms])[:300])
    c.check("bundle: the pods' ConfigMap is named after its content, immutable and kept",
            pods_bundle_cm and re.fullmatch(r"r-lockstep-migrations-[0-9a-f]{10}", pods_bundle_cm[0]["metadata"]["name"])
            and pods_bundle_cm[0]["metadata"]["name"] != pods_cm[0]["metadata"]["name"]
            and pods_bundle_cm[0].get("immutable") is True
            and pods_bundle_cm[0]["metadata"]["annotations"].get("helm.sh/resource-policy") == "keep", str(cms)[:300])
    for job in find(objs, "Job"):
        pod = job["spec"]["template"]["spec"]
        ct = pod["containers"][0]
        c.check("bundle: LOCKSTEP_MIGRATIONS names the key in the mounted folder",
                env_of(ct)["LOCKSTEP_MIGRATIONS"] == "/migrations/bundle", str(env_of(ct)))
        c.check("bundle: the Job mounts the hook copy at /migrations",
                [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] ==
                [cm["metadata"]["name"] for cm in cms if hook_of(cm)] and
                any(m["name"] == "lockstep-migrations" and m["mountPath"] == "/migrations" for m in ct["volumeMounts"]))
    if cms:
        # What a pod would find at /migrations/bundle, read by lockstep as the folder is.
        mounted = os.path.join(tmp, "mounted.bundle")
        with open(mounted, "wb") as f:
            f.write(base64.b64decode(cms[0]["binaryData"]["bundle"]))
        from_cm = lockstep("--migrations", mounted, "history", "-v")
        from_folder = lockstep("--migrations", example_folder, "history", "-v")
        c.check("bundle: the rendered ConfigMap's bundle reads as the folder does",
                from_cm.returncode == 0 and from_cm.stdout.replace(mounted, example_folder) == from_folder.stdout,
                from_cm.stderr + from_cm.stdout[:300])
    again = render("bundle again, wrapped at 76 columns", ["-f", values_file("bundle-wrapped", {
        "migrations": {"bundle": base64.encodebytes(example_bundle).decode()}})])
    c.check("bundle: the same bundle, wrapped or not, gives the same ConfigMaps", find(again, "ConfigMap") == cms)
    b64_file = os.path.join(tmp, "app.bundle.b64")
    with open(b64_file, "w") as f:
        f.write(example_b64 + "\n")
    by_file = render("bundle --set-file", ["--set-file", "migrations.bundle=" + b64_file])
    c.check("bundle: --set-file of the base64 file gives the same ConfigMaps", find(by_file, "ConfigMap") == cms)
    _, other_bundle = make_bundle("other-bundle", {"0001_init.sql": "-- Revision ID: r1\n-- Revises:\n-- +upgrade\nSELECT 1;\n"})
    other = render("another bundle", ["--set", "migrations.bundle=" + base64.b64encode(other_bundle).decode()])
    c.check("bundle: another bundle gets another ConfigMap name",
            {cm["metadata"]["name"] for cm in find(other, "ConfigMap") if not hook_of(cm)} !=
            {cm["metadata"]["name"] for cm in pods_bundle_cm}, str(find(other, "ConfigMap"))[:200])
    # Helm itself refuses a raw (binary) file as a value.
    refused("bundle: a raw bundle", ["--set-file", "migrations.bundle=" + example_folder + ".bundle"], "control characters")
    refused("bundle: not base64", ["--set", "migrations.bundle=not*base64"], "is not base64: give the bundle base64-encoded")
    refused("bundle: base64 of something else", ["--set", "migrations.bundle=" + base64.b64encode(b"-- Revision ID: a\n").decode()],
            "not of a bundle")
    refused("bundle and files", ["-f", EXAMPLE, "-f", bundle_values], "exactly one of")
    huge = base64.b64encode(b"LOCKSTEP-BUNDLE\n" + os.urandom(1000 * 1024)).decode()
    refused("bundle: 1 MB", ["-f", values_file("huge-bundle", {"migrations": {"bundle": huge}})], "at most 1 MiB")

objs = render("existingConfigMap with a bundle key", ["--set", "migrations.existingConfigMap=shop-bundle-v42",
                                                      "--set", "migrations.bundleKey=app.bundle"])
c.check("existingConfigMap with a bundle key: none rendered", not find(objs, "ConfigMap"))
for job in find(objs, "Job"):
    pod = job["spec"]["template"]["spec"]
    c.check("existingConfigMap with a bundle key: mounted, LOCKSTEP_MIGRATIONS names the key",
            [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] == ["shop-bundle-v42"] and
            env_of(pod["containers"][0])["LOCKSTEP_MIGRATIONS"] == "/migrations/app.bundle")
refused("bundleKey without existingConfigMap", ["--set", "migrations.fromImage=true", "--set", "migrations.bundleKey=x"],
        "migrations.bundleKey")
objs = render("image-baked bundle", ["--set", "migrations.fromImage=true", "--set", "migrations.path=/app.bundle"])
c.check("image-baked bundle: LOCKSTEP_MIGRATIONS names the file, nothing mounted",
        all(env_of(j["spec"]["template"]["spec"]["containers"][0])["LOCKSTEP_MIGRATIONS"] == "/app.bundle" and
            not find(objs, "ConfigMap") for j in find(objs, "Job")))

# --- reporting off, events only ---------------------------------------------
off = values_file("off", {"kubernetes": {"annotate": False, "events": False}, "migrations": {"fromImage": True}})
with open(off, "w") as f:
    f.write("kubernetes:\n  annotate: off\n  events: false\nmigrations:\n  fromImage: true\n")
objs = render("reporting off (unquoted off)", ["-f", off])
c.check("reporting off: no Role, RoleBinding or hook ServiceAccount",
        not find(objs, "Role") and not find(objs, "RoleBinding") and not [s for s in find(objs, "ServiceAccount") if hook_of(s)])
c.check("reporting off: the pods' ServiceAccount still exists (app pods name it), without a token",
        [(s["metadata"]["name"], s["automountServiceAccountToken"]) for s in find(objs, "ServiceAccount")] == [("r-lockstep", False)])
for job in find(objs, "Job"):
    pod = job["spec"]["template"]["spec"]
    c.check("reporting off: no token, no serviceAccountName", "serviceAccountName" not in pod and
            all(v["name"] != "lockstep-token" for v in pod.get("volumes", [])))
    c.check("reporting off: LOCKSTEP_KUBERNETES_ANNOTATE=off", env_of(pod["containers"][0])["LOCKSTEP_KUBERNETES_ANNOTATE"] == "off")
objs = render("events only", ["--set", "migrations.fromImage=true", "--set", "kubernetes.annotate=off"])
roles = find(objs, "Role")
c.check("events only: no pod access at all", roles and all(
    r["rules"] == [{"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}] for r in roles),
    str([r["rules"] for r in roles]))
refused("annotate: on", ["--set", "migrations.fromImage=true", "--set", "kubernetes.annotate=true"], "kubernetes.annotate")

# --- existing ServiceAccount --------------------------------------------------
objs = render("existing ServiceAccount", ["--set", "migrations.fromImage=true", "--set", "serviceAccount.create=false",
                                          "--set", "serviceAccount.name=shop-app"])
c.check("existing ServiceAccount: none created", not find(objs, "ServiceAccount"))
bindings = find(objs, "RoleBinding")
c.check("existing ServiceAccount: its Roles are bound to it", len(bindings) == 2 and all(
    b["subjects"] == [{"kind": "ServiceAccount", "name": "shop-app", "namespace": "shop"}] for b in bindings), str(bindings))
c.check("existing ServiceAccount: the Job runs as it",
        all(j["spec"]["template"]["spec"]["serviceAccountName"] == "shop-app" for j in find(objs, "Job")))
objs = render("existing ServiceAccount unnamed, reporting off", ["--set", "migrations.fromImage=true", "--set", "serviceAccount.create=false",
                                                                 "--set", "kubernetes.annotate=off", "--set", "kubernetes.events=false"])
c.check("reporting off, no ServiceAccount: nothing of RBAC", not find(objs, "ServiceAccount") and not find(objs, "Role"))
refused("serviceAccount.create=false without a name", ["--set", "migrations.fromImage=true",
                                                       "--set", "serviceAccount.create=false"], "serviceAccount.name")

# --- long release names, nameOverride, fullnameOverride ----------------------
long_release = "a-very-long-release-name-that-helm-still-accepts-53c"
assert len(long_release) == 52
objs = render("long release name", ["-f", EXAMPLE, "--set", "rollback.hook.enabled=true"], release=long_release)
c.check("long release name: every name is distinct and fits", len(objs) >= 9)
objs2 = render("long release name, another", ["-f", EXAMPLE], release=long_release[:-1] + "d")
c.check("two long release names sharing 51 characters get different names",
        not ({o["metadata"]["name"] for o in objs} & {o["metadata"]["name"] for o in objs2}))
objs = render("fullnameOverride", ["-f", EXAMPLE, "--set", "fullnameOverride=" + "x" * 63])
objs = render("nameOverride", ["-f", EXAMPLE, "--set", "nameOverride=migrator"])
c.check("nameOverride: names and labels follow it", all(o["metadata"]["name"].startswith("r-migrator") for o in objs) and
        all(o["metadata"]["labels"]["app.kubernetes.io/name"] == "migrator" for o in objs))

# --- Argo CD -----------------------------------------------------------------
objs = render("Argo CD", ["-f", EXAMPLE, "--set", "argocd.enabled=true"])
hooks = [o for o in objs if "argocd.argoproj.io/hook" in o["metadata"].get("annotations", {})]
c.check("Argo CD: the Job, its ConfigMap and RBAC are PreSync hooks",
        sorted(o["kind"] for o in hooks) == ["ConfigMap", "Job", "Role", "RoleBinding", "ServiceAccount"], str(hooks))
c.check("Argo CD: no Helm hook annotations", not [o for o in objs if hook_of(o)])
waves = {o["kind"]: int(o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for o in hooks}
c.check("Argo CD: sync waves put RBAC, then the ConfigMap, then the Job", waves.get("Role", 0) < waves.get("ConfigMap", 0)
        < waves.get("Job", 0) or waves.get("Role") == -20 and waves.get("ConfigMap") == -10 and waves.get("Job") == 0,
        str(waves))
kept = [cm for cm in find(objs, "ConfigMap") if cm not in hooks]
c.check("Argo CD: the pods' ConfigMap is never pruned",
        kept and kept[0]["metadata"]["annotations"].get("argocd.argoproj.io/sync-options") == "Prune=false")
refused("Argo CD with the rollback hook", ["-f", EXAMPLE, "--set", "argocd.enabled=true", "--set", "rollback.hook.enabled=true"],
        "Argo CD runs no rollback hooks")

# --- rollback ----------------------------------------------------------------
objs = render("rollback hook", ["-f", EXAMPLE, "--set", "rollback.hook.enabled=true"])
rollback = find(objs, "Job", "rollback")
if c.check("rollback hook: one Job", len(rollback) == 1):
    job = rollback[0]
    c.check("rollback hook: only under pre-rollback", hook_of(job) == "pre-rollback")
    c.check("rollback hook: downgrade @files", job["spec"]["template"]["spec"]["containers"][0]["args"] == ["downgrade", "@files"])
    c.check("rollback hook: its ConfigMap and RBAC exist at pre-rollback too",
            all("pre-rollback" in hook_of(o) for o in objs if hook_of(o) and o["kind"] != "Job"))
c.check("rollback hook: the migration Job is not a rollback hook", all("rollback" not in hook_of(j) for j in find(objs, "Job", "migrate")))
objs = render("rollback hook without migrate", ["-f", EXAMPLE, "--set", "rollback.hook.enabled=true", "--set", "migrate.enabled=false"])
c.check("rollback hook alone: hooks only at pre-rollback", all(hook_of(o) == "pre-rollback" for o in objs if hook_of(o)))

refused("rollback Job while migrating", ["-f", EXAMPLE, "--set", "rollback.job.enabled=true", "--set", "rollback.job.target=base"],
        "migrate.enabled")
job_args = ["-f", EXAMPLE, "--set", "migrate.enabled=false", "--set", "rollback.job.enabled=true"]
first = render("rollback Job", job_args + ["--set", "rollback.job.target=8e4a61f0c2d3"])
second = render("rollback Job again (--reuse-values)", job_args + ["--set", "rollback.job.target=8e4a61f0c2d3"])
base = render("rollback Job to base", job_args + ["--set", "rollback.job.target=base"])
number = render("rollback Job to a numeric id", job_args + ["--set", "rollback.job.target=1234"])
name_of = lambda objs: [j["metadata"]["name"] for j in find(objs, "Job", "rollback")]
c.check("rollback Job: re-rendering the same values is the same Job", name_of(first) and name_of(first) == name_of(second))
c.check("rollback Job: another target is another Job", name_of(base) and name_of(base) != name_of(first))
c.check("rollback Job: no hook, no migration Job", first and not [o for o in first if hook_of(o)] and not find(first, "Job", "migrate"))
c.check("rollback Job: a numeric target", [j["spec"]["template"]["spec"]["containers"][0]["args"] for j in find(number, "Job")]
        == [["downgrade", "1234"]])
refused("rollback Job with a relative target", job_args + ["--set", "rollback.job.target=-1"], "is relative")
refused("rollback Job without a target", job_args, "rollback.job.target")

# --- admission policy, pod options ------------------------------------------
objs = render("admission policy", ["-f", EXAMPLE, "--set", "admissionPolicy.enabled=true"])
policies = find(objs, "ValidatingAdmissionPolicy")
if c.check("admission policy: a policy and its binding", len(policies) == 1 and len(find(objs, "ValidatingAdmissionPolicyBinding")) == 1):
    spec = policies[0]["spec"]
    c.check("admission policy: matches lockstep's ServiceAccounts only",
            "system:serviceaccount:shop:r-lockstep" in spec["matchConditions"][0]["expression"] and
            "system:serviceaccount:shop:r-lockstep-hook" in spec["matchConditions"][0]["expression"])
    c.check("admission policy: spec, labels and foreign annotations are frozen",
            any("object.spec == oldObject.spec" in v["expression"] for v in spec["validations"]) and
            any("labels" in v["expression"] for v in spec["validations"]) and
            any("startsWith(variables.prefix)" in v["expression"] for v in spec["validations"]))
    # The policy's CEL, evaluated against the PATCHes lockstep sends and the ones it must not.
    pod = {"metadata": {"name": "shop-7d9", "labels": {"app": "shop"}, "annotations": {"team": "db", "lockstep.dev/status": "running"},
                        "ownerReferences": [{"kind": "ReplicaSet", "name": "shop-7d"}]},
           "spec": {"containers": [{"name": "app", "image": "shop:1"}]}}
    def changed(**what):
        new = json.loads(json.dumps(pod))
        for key, value in what.items():
            section, field = key.split("__")
            if value is None:
                new[section].pop(field, None)
            else:
                new[section][field] = value
        return new
    lockstep_sa = {"userInfo": {"username": "system:serviceaccount:shop:r-lockstep"}, "subResource": ""}
    hook_sa = {"userInfo": {"username": "system:serviceaccount:shop:r-lockstep-hook"}, "subResource": ""}
    own = dict(pod["metadata"]["annotations"], **{"lockstep.dev/status": "succeeded", "lockstep.dev/revision": "3f2a9c1e7b4d"})
    cases = [
        ("lockstep sets its annotations", lockstep_sa, changed(metadata__annotations=own), pod, True),
        ("the hook Job sets its annotations", hook_sa, changed(metadata__annotations=own), pod, True),
        ("lockstep removes one of its annotations", lockstep_sa,
         changed(metadata__annotations={"team": "db"}), pod, True),
        ("lockstep annotates a pod without annotations", lockstep_sa,
         changed(metadata__annotations={"lockstep.dev/status": "running"}), changed(metadata__annotations=None), True),
        ("lockstep changes an image", lockstep_sa, changed(spec__containers=[{"name": "app", "image": "evil:1"}]), pod, False),
        ("lockstep adds a label", lockstep_sa, changed(metadata__labels={"app": "shop", "x": "y"}), pod, False),
        ("lockstep drops the labels", lockstep_sa, changed(metadata__labels=None), pod, False),
        ("lockstep changes a foreign annotation", lockstep_sa, changed(metadata__annotations=dict(own, team="ops")), pod, False),
        ("lockstep removes a foreign annotation", lockstep_sa,
         changed(metadata__annotations={"lockstep.dev/status": "running"}), pod, False),
        ("lockstep adds a look-alike annotation", lockstep_sa,
         changed(metadata__annotations=dict(own, **{"lockstep.dev.evil/x": "1"})), pod, False),
        ("lockstep adds a finalizer", lockstep_sa, changed(metadata__finalizers=["x"]), pod, False),
        ("lockstep drops the owner", lockstep_sa, changed(metadata__ownerReferences=None), pod, False),
        ("lockstep patches pods/status", dict(lockstep_sa, subResource="status"), pod, pod, False),
        ("anyone else is not matched", {"userInfo": {"username": "system:serviceaccount:shop:app"}, "subResource": ""},
         changed(spec__containers=[]), pod, "skipped"),
    ]
    errors = policy_errors(policies[0], [{"name": n, "request": r, "object": o, "oldObject": old, "allowed": a}
                                         for n, r, o, old, a in cases])
    c.check("admission policy: its CEL allows lockstep's own annotations and nothing else", not errors, "; ".join(errors))
refused("admission policy before Kubernetes 1.30", ["-f", EXAMPLE, "--set", "admissionPolicy.enabled=true", "--kube-version", "1.29.0"],
        "1.30")
objs = render("pod options", ["-f", values_file("pod", {
    "migrations": {"fromImage": True},
    "imagePullSecrets": [{"name": "regcred"}], "priorityClassName": "high", "podLabels": {"team": "db"},
    "podAnnotations": {"a": "b"}, "nodeSelector": {"disk": "ssd"}, "tolerations": [{"key": "k", "operator": "Exists"}],
    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
    "extraEnv": [{"name": "PGSSLROOTCERT", "value": "/ca/ca.crt"}],
    "extraVolumes": [{"name": "ca", "secret": {"secretName": "db-ca"}}],
    "extraVolumeMounts": [{"name": "ca", "mountPath": "/ca", "readOnly": True}],
    "securityContext": {"runAsUser": None, "runAsGroup": None}, "command": ["/usr/local/bin/lockstep"],
})])
for job in find(objs, "Job"):
    pod = job["spec"]["template"]["spec"]
    ct = pod["containers"][0]
    c.check("pod options: all applied", pod["imagePullSecrets"] == [{"name": "regcred"}] and pod["priorityClassName"] == "high"
            and job["spec"]["template"]["metadata"]["labels"]["team"] == "db" and pod["nodeSelector"] == {"disk": "ssd"}
            and pod["tolerations"] and pod["affinity"] and env_of(ct)["PGSSLROOTCERT"] == "/ca/ca.crt"
            and {"name": "ca", "secret": {"secretName": "db-ca"}} in pod["volumes"]
            and {"name": "ca", "mountPath": "/ca", "readOnly": True} in ct["volumeMounts"])
    c.check("pod options: runAsUser can be left to the platform (OpenShift)", "runAsUser" not in ct["securityContext"])
    c.check("pod options: command", ct["command"] == ["/usr/local/bin/lockstep"])

# --- fleet mode: the migration hook as an Indexed Job over the fleet -----------
FLEET = values_file("fleet", {"fleet": {"enabled": True, "schemas": "tenant\\_%", "shards": 6, "parallelism": 3}})
FLEET_RULES = [("FailJob", [2]), ("FailIndex", [5, 6]), ("Count", [1, 3, 4])]


def fleet_job(name, objs):
    jobs = find(objs, "Job", "migrate")
    if not c.check(name + ": one migration Job, and no other Job", len(jobs) == 1 and len(find(objs, "Job")) == 1,
                   str([j["metadata"]["name"] for j in find(objs, "Job")])):
        return None
    return jobs[0]


def fleet_render(name, args, shards, parallelism, source, rules=FLEET_RULES, per_index=True, release="r"):
    """Renders fleet mode and checks what every fleet Job must be; returns (objects, job)."""
    objs = render(name, args, release=release)
    job = fleet_job(name, objs)
    if job is None:
        return objs, None
    spec = job["spec"]
    pod = spec["template"]["spec"]
    ct = pod["containers"][0]
    env = {e["name"]: e for e in ct["env"]}
    c.check(name + ": an Indexed Job, completions = shards, parallelism",
            (spec.get("completionMode"), spec.get("completions"), spec.get("parallelism")) == ("Indexed", shards, parallelism),
            str({k: spec.get(k) for k in ("completionMode", "completions", "parallelism")}))
    c.check(name + ": lockstep's shard_count is the Job's completions",
            env.get("LOCKSTEP_SHARD_COUNT", {}).get("value") == str(spec["completions"]), str(env.get("LOCKSTEP_SHARD_COUNT")))
    c.check(name + ": JOB_COMPLETION_INDEX from the index annotation Kubernetes sets",
            env.get("JOB_COMPLETION_INDEX", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") ==
            "metadata.annotations['batch.kubernetes.io/job-completion-index']", str(env.get("JOB_COMPLETION_INDEX")))
    sources = sorted(k for k in env if k in ("LOCKSTEP_FLEET_FILE", "LOCKSTEP_FLEET_SCHEMAS", "LOCKSTEP_FLEET_QUERY"))
    c.check(name + ": exactly one source of targets, " + source, sources == [source], str(sources))
    c.check(name + ": upgrade heads", ct["args"][:2] == ["upgrade", "heads"], str(ct["args"]))
    got = [(r["action"], r["onExitCodes"]["values"]) for r in spec["podFailurePolicy"]["rules"] if "onExitCodes" in r]
    c.check(name + ": podFailurePolicy per exit code", got == rules and
            all(r["onExitCodes"]["containerName"] == ct["name"] == "lockstep" for r in spec["podFailurePolicy"]["rules"]
                if "onExitCodes" in r), str(got))
    c.check(name + ": a drained node's pod is not a failure", {"action": "Ignore", "onPodConditions": [
        {"type": "DisruptionTarget", "status": "True"}]} in spec["podFailurePolicy"]["rules"])
    if per_index:
        c.check(name + ": per-index retries (1.29+)", "backoffLimitPerIndex" in spec and "backoffLimit" not in spec, str(spec.keys()))
    else:
        c.check(name + ": no per-index fields before 1.29", "backoffLimitPerIndex" not in spec and "maxFailedIndexes" not in spec
                and "backoffLimit" in spec, str(spec.keys()))
    plain = [e for e in ct["env"] if "value" in e]
    c.check(name + ": no secret in a plain env value",
            not [e for e in plain if "://" in e["value"] or "@" in e["value"]], str(plain))
    c.check(name + ": a hook, as the migration Job is", hook_of(job) == "pre-install,pre-upgrade" or
            job["metadata"]["annotations"].get("argocd.argoproj.io/hook") == "PreSync", str(job["metadata"]["annotations"]))
    c.check(name + ": the name leaves room for -<index> in the pods' hostnames (57)", len(job["metadata"]["name"]) <= 57,
            job["metadata"]["name"])
    return objs, job


objs, job = fleet_render("fleet: tenant schemas", ["-f", FLEET, "-f", EXAMPLE], 6, 3, "LOCKSTEP_FLEET_SCHEMAS")
lint_fleet = run([HELM, "lint", "--strict", CHART, "-f", EXAMPLE, "-f", FLEET])
c.check("fleet: helm lint --strict", lint_fleet.returncode == 0, lint_fleet.stdout + lint_fleet.stderr)
if job:
    spec = job["spec"]
    pod = spec["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    c.check("fleet: the pattern as given (LIKE's escaped underscore kept)", env["LOCKSTEP_FLEET_SCHEMAS"]["value"] == "tenant\\_%")
    c.check("fleet: the defaults: 2 retries per index, the first failed index stops the Job, a canary and a budget per pod",
            spec["backoffLimitPerIndex"] == 2 and spec["maxFailedIndexes"] == 0 and env["LOCKSTEP_CANARY"]["value"] == "1"
            and env["LOCKSTEP_MAX_FAILURES"]["value"] == "1" and env["LOCKSTEP_PARALLEL"]["value"] == "4", str(spec))
    c.check("fleet: the database URL from its Secret", env["LOCKSTEP_DATABASE_URL"]["valueFrom"]["secretKeyRef"] ==
            {"name": "app-database", "key": "url"})
    hook_cms = [cm for cm in find(objs, "ConfigMap") if hook_of(cm)]
    c.check("fleet: the Job mounts the hook copy of the migrations, created before it",
            hook_cms and [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] == [hook_cms[0]["metadata"]["name"]]
            and int(hook_cms[0]["metadata"]["annotations"]["helm.sh/hook-weight"]) <
            int(job["metadata"]["annotations"]["helm.sh/hook-weight"]))
    sa = pod.get("serviceAccountName")
    bindings = [b for b in find(objs, "RoleBinding") if b["subjects"][0]["name"] == sa and hook_of(b)]
    roles = {r["metadata"]["name"]: r["rules"] for r in find(objs, "Role")}
    c.check("fleet: runs as the hook ServiceAccount, bound at hook time to pod patch and event create only",
            sa == "r-lockstep-hook" and len(bindings) == 1 and roles.get(bindings[0]["roleRef"]["name"]) ==
            [{"apiGroups": [""], "resources": ["pods"], "verbs": ["patch"]},
             {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}] if bindings else False,
            str(bindings))
    c.check("fleet: the migration hook is the fleet's Job, under its usual name", job["metadata"]["name"] == "r-lockstep-migrate")

secret_file = values_file("fleet-secret", {"migrations": {"fromImage": True},
                                           "database": {"passwordKey": "password"},
                                           "extraEnv": [{"name": "TENANT_PASSWORD", "valueFrom": {
                                               "secretKeyRef": {"name": "tenant-password", "key": "password"}}}],
                                           "fleet": {"enabled": True, "file": {"existingSecret": "tenants", "key": "fleet.txt"},
                                                     "shards": 10, "parallelism": 10, "maxFailures": None,
                                                     "maxFailedIndexes": None, "backoffLimitPerIndex": 5}})
objs, job = fleet_render("fleet: a file from a Secret", ["-f", secret_file], 10, 10, "LOCKSTEP_FLEET_FILE")
if job:
    spec = job["spec"]
    pod = spec["template"]["spec"]
    ct = pod["containers"][0]
    env = {e["name"]: e for e in ct["env"]}
    c.check("fleet file: named where the Secret is mounted, read-only",
            env["LOCKSTEP_FLEET_FILE"]["value"] == "/var/run/lockstep/fleet/fleet.txt" and
            {"name": "lockstep-fleet", "mountPath": "/var/run/lockstep/fleet", "readOnly": True} in ct["volumeMounts"] and
            {"name": "lockstep-fleet", "secret": {"secretName": "tenants", "items": [{"key": "fleet.txt", "path": "fleet.txt"}]}}
            in pod["volumes"], str(pod["volumes"]))
    c.check("fleet file: no database_url (the file names the databases)", "LOCKSTEP_DATABASE_URL" not in env)
    c.check("fleet file: passwords through secretKeyRef and a mounted file only",
            env["TENANT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "tenant-password", "key": "password"} and
            env["LOCKSTEP_DATABASE_PASSWORD_FILE"]["value"].startswith("/var/run/lockstep/password/"))
    c.check("fleet file: no budget, every index runs: nothing of them rendered",
            "LOCKSTEP_MAX_FAILURES" not in env and "maxFailedIndexes" not in spec and spec["backoffLimitPerIndex"] == 5)
objs, job = fleet_render("fleet: a file from a ConfigMap", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.schemas=",
                                                            "--set", "fleet.file.existingConfigMap=tenants",
                                                            "--set", "fleet.file.key=tenants.list"], 6, 3, "LOCKSTEP_FLEET_FILE")
if job:
    pod = job["spec"]["template"]["spec"]
    c.check("fleet file from a ConfigMap: mounted by its key",
            {"name": "lockstep-fleet", "configMap": {"name": "tenants", "items": [{"key": "tenants.list", "path": "tenants.list"}]}}
            in pod["volumes"] and env_of(pod["containers"][0])["LOCKSTEP_FLEET_FILE"] == "/var/run/lockstep/fleet/tenants.list")
fleet_render("fleet: a query", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.schemas=",
                                "--set", "fleet.query=SELECT url FROM tenants WHERE active"], 6, 3, "LOCKSTEP_FLEET_QUERY")
objs, job = fleet_render("fleet: Kubernetes 1.28 (no per-index limits)", ["-f", EXAMPLE, "-f", FLEET, "--kube-version", "1.28.0"],
                         6, 3, "LOCKSTEP_FLEET_SCHEMAS", rules=[("FailJob", [2]), ("FailJob", [5, 6]), ("Count", [1, 3, 4])],
                         per_index=False)
objs, job = fleet_render("fleet: Kubernetes 1.29", ["-f", EXAMPLE, "-f", FLEET, "--kube-version", "1.29.0"], 6, 3,
                         "LOCKSTEP_FLEET_SCHEMAS")
objs, job = fleet_render("fleet: one shard", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.shards=1", "--set", "fleet.parallelism=1"],
                         1, 1, "LOCKSTEP_FLEET_SCHEMAS")
objs, job = fleet_render("fleet: reporting off", ["-f", EXAMPLE, "-f", FLEET, "--set", "kubernetes.annotate=off",
                                                  "--set", "kubernetes.events=false"], 6, 3, "LOCKSTEP_FLEET_SCHEMAS")
if job:
    pod = job["spec"]["template"]["spec"]
    c.check("fleet, reporting off: no Role, no token, no ServiceAccount name",
            not find(objs, "Role") and "serviceAccountName" not in pod and
            all(v["name"] != "lockstep-token" for v in pod.get("volumes", [])))
objs, job = fleet_render("fleet: events only", ["-f", EXAMPLE, "-f", FLEET, "--set", "kubernetes.annotate=off"], 6, 3,
                         "LOCKSTEP_FLEET_SCHEMAS")
c.check("fleet, events only: no pod access at all", find(objs, "Role") and all(
    r["rules"] == [{"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]}] for r in find(objs, "Role")))
objs, job = fleet_render("fleet: Argo CD", ["-f", EXAMPLE, "-f", FLEET, "--set", "argocd.enabled=true"], 6, 3,
                         "LOCKSTEP_FLEET_SCHEMAS")
if job:
    c.check("fleet, Argo CD: a PreSync hook after its ConfigMap and RBAC",
            int(job["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) == 0 and
            sorted(int(o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for o in objs
                   if "argocd.argoproj.io/hook" in o["metadata"].get("annotations", {})) == [-20, -20, -20, -10, 0])
objs, job = fleet_render("fleet: long release name", ["-f", EXAMPLE, "-f", FLEET], 6, 3, "LOCKSTEP_FLEET_SCHEMAS",
                         release=long_release)
objs, job = fleet_render("fleet: hook weight", ["-f", OTHER, "-f", FLEET, "--set", "migrate.hookWeight=-30"], 6, 3,
                         "LOCKSTEP_FLEET_SCHEMAS")
c.check("fleet: RBAC and the ConfigMap come before the fleet's migration Job, whatever its weight",
        sorted((int(o["metadata"]["annotations"]["helm.sh/hook-weight"]), o["kind"]) for o in objs if hook_of(o)) ==
        [(-50, "Role"), (-50, "RoleBinding"), (-50, "ServiceAccount"), (-40, "ConfigMap"), (-30, "Job")])

objs = render("fleet without the migration hook", ["-f", EXAMPLE, "-f", FLEET, "--set", "migrate.enabled=false"])
c.check("fleet without the migration hook: no Job, nothing runs on database_url", not find(objs, "Job"))
refused("fleet without targets", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.schemas="], "exactly one source of targets")
refused("fleet with two sources", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.query=SELECT 1"], "exactly one source of targets")
refused("fleet file in a Secret and a ConfigMap", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.schemas=",
                                                  "--set", "fleet.file.existingSecret=a", "--set", "fleet.file.existingConfigMap=b"],
        "not both")
# Rolling a fleet back: the same Jobs as for one database, each an Indexed Job over the fleet.
objs = render("fleet: rollback hook", ["-f", EXAMPLE, "-f", FLEET, "--set", "rollback.hook.enabled=true"])
hook_jobs = [j for j in find(objs, "Job", "rollback") if hook_of(j) == "pre-rollback"]
if c.check("fleet: the rollback hook is one pre-rollback Job", len(hook_jobs) == 1):
    spec = hook_jobs[0]["spec"]
    ct = spec["template"]["spec"]["containers"][0]
    c.check("fleet: the rollback hook runs downgrade @files over the same shards as the migration",
            ct["args"] == ["downgrade", "@files"] and spec["completionMode"] == "Indexed" and spec["completions"] == 6 and
            env_of(ct)["LOCKSTEP_SHARD_COUNT"] == "6" and env_of(ct)["LOCKSTEP_FLEET_SCHEMAS"] == "tenant\\_%" and
            [r["action"] for r in spec["podFailurePolicy"]["rules"]] == ["FailJob", "FailIndex", "Count", "Ignore"], str(spec)[:400])
rollback_args = ["-f", EXAMPLE, "-f", FLEET, "--set", "migrate.enabled=false", "--set", "rollback.job.enabled=true",
                 "--set", "rollback.job.target=8e4a61f0c2d3"]
first = render("fleet: rollback Job", rollback_args)
again = render("fleet: rollback Job again", rollback_args)
long_rollback = render("fleet: rollback Job, long release name", rollback_args, release=long_release)
jobs = find(first, "Job", "rollback")
if c.check("fleet: one rollback Job, nothing else", len(jobs) == 1 and len(find(first, "Job")) == 1):
    spec = jobs[0]["spec"]
    c.check("fleet: the rollback Job is an Indexed Job running downgrade <target> on each shard",
            spec["completionMode"] == "Indexed" and spec["template"]["spec"]["containers"][0]["args"] ==
            ["downgrade", "8e4a61f0c2d3"] and not hook_of(jobs[0]))
    c.check("fleet: the rollback Job is named after its content",
            [j["metadata"]["name"] for j in find(again, "Job")] == [jobs[0]["metadata"]["name"]])
c.check("fleet: the rollback Jobs' names leave room for -<index> (57)",
        all(len(j["metadata"]["name"]) <= 57 for j in find(long_rollback, "Job") + hook_jobs) and find(long_rollback, "Job"),
        str([j["metadata"]["name"] for j in find(long_rollback, "Job")]))

# The engine's per-pod rollout settings: a named canary, a budget in percent, a password per target.
objs, job = fleet_render("fleet: named canary, budget in percent", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.canary=acme\\,globex",
                                                                   "--set", "fleet.maxFailures=2.5%"], 6, 3, "LOCKSTEP_FLEET_SCHEMAS")
if job:
    env = env_of(job["spec"]["template"]["spec"]["containers"][0])
    c.check("fleet: canary ids and a percentage passed as given",
            env["LOCKSTEP_CANARY"] == "acme,globex" and env["LOCKSTEP_MAX_FAILURES"] == "2.5%", str(env))
objs, job = fleet_render("fleet: a password per target", ["-f", secret_file, "--set", "fleet.passwords.existingSecret=tenant-passwords"],
                         10, 10, "LOCKSTEP_FLEET_FILE")
if job:
    pod = job["spec"]["template"]["spec"]
    ct = pod["containers"][0]
    c.check("fleet: the password Secret mounted as a folder lockstep reads per target id",
            env_of(ct)["LOCKSTEP_FLEET_PASSWORD_DIR"] == "/var/run/lockstep/fleet-passwords" and
            {"name": "lockstep-fleet-passwords", "mountPath": "/var/run/lockstep/fleet-passwords", "readOnly": True}
            in ct["volumeMounts"] and {"name": "lockstep-fleet-passwords", "secret": {"secretName": "tenant-passwords"}}
            in pod["volumes"], str(pod["volumes"]))
refused("fleet: passwords per target for tenant schemas", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.passwords.existingSecret=p"],
        "tenant schemas (fleet.schemas) share database_url's connection")
refused("fleet with more failed indexes than shards", ["-f", EXAMPLE, "-f", FLEET, "--set", "fleet.maxFailedIndexes=7"],
        "fleet.maxFailedIndexes (7) is more than fleet.shards (6)")
for bad, why in ((["--set", "fleet.shard=3"], "shard"), (["--set", "fleet.shards=0"], "shards"),
                 (["--set", "fleet.shards=100001"], "shards"), (["--set", "fleet.parallelism=0"], "parallelism"),
                 (["--set", "fleet.maxFailures=0"], "maxFailures"), (["--set", "fleet.canary=-1"], "canary"),
                 (["--set-string", "fleet.maxFailures=5"], "maxFailures"), (["--set", "fleet.canary=a b"], "canary"),
                 (["--set", "fleet.passwords.secret=x"], "secret"),
                 (["--set", "fleet.file.key=a b"], "key"), (["--set", "fleet.file.secret=x"], "secret"),
                 (["--set", "fleet.backoffLimitPerIndex=-1"], "backoffLimitPerIndex")):
    refused("schema: fleet " + why, ["-f", EXAMPLE, "-f", FLEET] + bad, why)

# --- the schema is strict ---------------------------------------------------
for bad, why in ((["--set", "migrate.backofLimit=3"], "backofLimit"), (["--set", "config.lockTimeot=1s"], "lockTimeot"),
                 (["--set", "kubernetes.annotate=sometimes"], "annotate"), (["--set", "config.lockTimeout=soon"], "lockTimeout"),
                 (["--set", "image.digest=latest"], "digest"), (["--set", "typo=1"], "typo")):
    refused("schema: " + why, ["--set", "migrations.fromImage=true"] + bad, why)

# --- the app chart ------------------------------------------------------------
app = os.path.join(tmp, "app")
shutil.copytree(os.path.join(HERE, "app-chart"), app)
os.makedirs(os.path.join(app, "charts"))
shutil.copytree(CHART, os.path.join(app, "charts", "lockstep"))
app_values = APP_VALUES
objs = render("example app chart", ["-f", app_values], release="shop", chart=app)
deployments = find(objs, "Deployment")
if c.check("app chart: the Deployment renders", len(deployments) == 1):
    pod = deployments[0]["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    c.check("app chart: lockstep's image, not the app's", init["image"] == "ghcr.io/lockstep/lockstep:0.1.0", init["image"])
    c.check("app chart: the init container waits", init["args"] == ["wait", "--timeout", "10m"], str(init["args"]))
    cm = [o["metadata"]["name"] for o in find(objs, "ConfigMap") if not hook_of(o)]
    c.check("app chart: the pods mount the content-addressed ConfigMap",
            [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] == cm, str(cm))
    c.check("app chart: the pods run as lockstep's ServiceAccount, which is ordinary and bound",
            pod["serviceAccountName"] == "shop-lockstep" and
            [s for s in find(objs, "ServiceAccount") if s["metadata"]["name"] == "shop-lockstep" and not hook_of(s)] and
            [b for b in find(objs, "RoleBinding") if b["subjects"][0]["name"] == "shop-lockstep" and not hook_of(b)])
objs = render("app chart, migrate mode", ["-f", app_values, "--set", "lockstep.initContainer.mode=migrate",
                                          "--set", "lockstep.migrate.enabled=false"], release="shop", chart=app)
for d in find(objs, "Deployment"):
    c.check("app chart: migrate mode runs upgrade heads", d["spec"]["template"]["spec"]["initContainers"][0]["args"] ==
            ["upgrade", "heads"])
app_lint = run([HELM, "lint", "--strict", app, "-f", app_values])
c.check("app chart: helm lint --strict", app_lint.returncode == 0, app_lint.stdout + app_lint.stderr)
# Older Helm without .Subcharts: the templates take a plain dict of lockstep's values.
with open(os.path.join(app, "templates", "deployment.yaml")) as f:
    text = f.read()
with open(os.path.join(app, "templates", "deployment.yaml"), "w") as f:
    f.write(text.replace(".Subcharts.lockstep", 'dict "Values" .Values.lockstep "Release" .Release'))
by_dict = render("app chart, dict context", ["-f", app_values], release="shop", chart=app)
c.check("app chart: the dict context renders the same Deployment", find(by_dict, "Deployment") == deployments)
result = template(["-f", app_values, "--set", "lockstep.fleet.enabled=true",
                   "--set", "lockstep.fleet.schemas=tenant%"], release="shop", chart=app)
c.check("app chart in fleet mode: the init container is refused (database_url is no target of the fleet)",
        result.returncode != 0 and "lockstep.initContainer: with fleet.enabled" in result.stderr, result.stderr[-300:])
result = template([], release="shop", chart=app)
c.check("app chart without migrations: the same clear refusal", result.returncode != 0 and "no migrations given" in result.stderr,
        result.stderr[-300:])

# --- NOTES.txt ----------------------------------------------------------------
# helm template does not print NOTES.txt and helm install needs a cluster, so a
# copy of the chart renders it into a ConfigMap with the same values.
notes_chart = os.path.join(tmp, "notes", "lockstep")
shutil.copytree(CHART, notes_chart)
shutil.copy(os.path.join(CHART, "templates", "NOTES.txt"), os.path.join(notes_chart, "NOTES.txt"))
with open(os.path.join(notes_chart, "templates", "notes-under-test.yaml"), "w") as f:
    f.write('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n'
            '  notes: {{ tpl (.Files.Get "NOTES.txt") . | toJson }}\n')
notes = run([HELM, "template", "r", notes_chart, "-f", EXAMPLE, "--show-only", "templates/notes-under-test.yaml"])
if c.check("NOTES.txt renders", notes.returncode == 0, notes.stderr):
    text = documents(notes.stdout)[0]["data"]["notes"]
    c.check("NOTES: says a succeeded hook Job is deleted, and where to look", "deleted" in text and
            "reason=Migrated" in text and "logs job/r-lockstep-migrate" in text, text)

notes = run([HELM, "template", "r", notes_chart, "-f", EXAMPLE, "-f", FLEET, "--show-only", "templates/notes-under-test.yaml"])
if c.check("NOTES.txt renders in fleet mode", notes.returncode == 0, notes.stderr):
    text = documents(notes.stdout)[0]["data"]["notes"]
    c.check("NOTES, fleet: the Job, its shards, connections, where to look, what fails what",
            "Indexed Job r-lockstep-migrate: 6 shards" in text and "up to 12 connections" in text and
            "logs -l job-name=r-lockstep-migrate" in text and "5 and 6 fail that index" in text and
            "no lockstep init container" in text and "lockstep current" not in text, text)
notes = run([HELM, "template", "r", notes_chart, "-f", EXAMPLE, "-f", FLEET, "--set", "rollback.hook.enabled=true",
              "--show-only", "templates/notes-under-test.yaml"])
c.check("NOTES, fleet with the rollback hook: it reverts on every target",
        notes.returncode == 0 and "on every target of the fleet\n(an Indexed Job of 6 shards" in
        documents(notes.stdout)[0]["data"]["notes"], notes.stderr + notes.stdout[-500:])
notes = run([HELM, "template", "r", notes_chart, "-f", EXAMPLE, "-f", FLEET, "--set", "config.lockMode=lease",
              "--show-only", "templates/notes-under-test.yaml"])
c.check("NOTES, fleet with lockMode lease: two connections per target",
        notes.returncode == 0 and "up to 24 connections (two per target" in documents(notes.stdout)[0]["data"]["notes"],
        notes.stderr + notes.stdout[-500:])

shutil.rmtree(tmp)
c.finish()
