// Validates Kubernetes objects against the API's OpenAPI schemas, with the
// validators of the npm package kubernetes-models (scripts/k8s-tools
// installs it). Input on stdin: a JSON array of objects. Output: one line per
// object, "ok <kind>/<name>" or "invalid <kind>/<name>: <errors>"; the exit
// code is 1 when any object is invalid or of a kind the package lacks.
//   node validate_objects.cjs <node_modules folder> < objects.json
"use strict";
const path = require("path");
const fs = require("fs");

const modules = process.argv[2];
const objects = JSON.parse(fs.readFileSync(0, "utf8"));
let bad = 0;
for (const object of objects) {
  const label = `${object.kind}/${(object.metadata || {}).name}`;
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : [null, object.apiVersion];
  const file = path.join(modules, "kubernetes-models", ...(group ? [group, version] : [version]), `${object.kind}.js`);
  if (!fs.existsSync(file)) {
    console.log(`invalid ${label}: no schema for ${object.apiVersion} ${object.kind}`);
    bad++;
    continue;
  }
  const Model = require(file)[object.kind];
  try {
    new Model(object).validate();
    console.log(`ok ${label}`);
  } catch (e) {
    console.log(`invalid ${label}: ${e.message.replace(/\n/g, "; ")}`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
