"""Shared by the deployment tests: the pinned tools (scripts/k8s-tools), a
check counter that prints the suite's "N passed, N failed" line, rendering
with helm and kubectl, and validation of every object against Kubernetes'
OpenAPI schemas (kubernetes-models, run by node)."""

import json
import os
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


def tools_dir():
    found = subprocess.run([os.path.join(REPO, "scripts", "k8s-tools"), "dir"], capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit("deploy tests: " + found.stderr.strip())
    return found.stdout.strip()


TOOLS = tools_dir()
HELM = os.path.join(TOOLS, "bin", "helm")
KUBECTL = os.path.join(TOOLS, "bin", "kubectl")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failures.append("%s %s" % (name, detail))
        return condition

    def finish(self):
        for f in self.failures:
            print("FAIL", f)
        print("%d passed, %d failed" % (self.passed, len(self.failures)))
        sys.exit(1 if self.failures else 0)


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def documents(text):
    return [d for d in yaml.safe_load_all(text) if d]


def schema_errors(objects):
    """Objects the Kubernetes OpenAPI schemas reject, as 'Kind/name: why' lines."""
    result = run(["node", os.path.join(HERE, "validate_objects.cjs"), os.path.join(TOOLS, "node_modules")],
                 input=json.dumps(objects))
    bad = [line for line in result.stdout.splitlines() if not line.startswith("ok ")]
    if result.returncode != 0 and not bad:
        bad = ["validator failed: " + result.stderr.strip()]
    return bad


def policy_errors(policy, cases):
    """Cases of a ValidatingAdmissionPolicy whose CEL outcome is not the expected one."""
    result = run(["node", os.path.join(HERE, "admission_policy.mjs"), os.path.join(TOOLS, "node_modules")],
                 input=json.dumps({"policy": policy, "cases": cases}))
    bad = [line for line in result.stdout.splitlines() if not line.startswith("ok ")]
    if result.returncode != 0 and not bad:
        bad = ["evaluator failed: " + result.stderr.strip()]
    return bad


def pod_specs(obj):
    """(where, pod spec) for every pod template an object holds."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return [(obj["metadata"]["name"], spec)]
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return [(obj["metadata"]["name"], spec["template"]["spec"])]
    return []


def restricted(container):
    sc = container.get("securityContext", {})
    return (sc.get("runAsNonRoot") is True and sc.get("readOnlyRootFilesystem") is True
            and sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"]
            and sc.get("seccompProfile", {}).get("type") == "RuntimeDefault")


def example_migrations():
    """The example app's migrations (the repository's migrations/), name -> content."""
    folder = os.path.join(REPO, "migrations")
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".sql"):
            with open(os.path.join(folder, name)) as f:
                out[name] = f.read()
    return out
