// Evaluates a ValidatingAdmissionPolicy's CEL (match conditions, variables,
// validations) against admission requests, with the CEL evaluator of the npm
// package @marcbachmann/cel-js (a JavaScript implementation of the CEL spec;
// the API server runs cel-go). Input on stdin: {"policy": <object>,
// "cases": [{"name", "request", "object", "oldObject", "allowed"}]}, where
// "allowed" is true, false, or "skipped" (the match conditions do not
// select the request). One line per case, "ok <name>" or "wrong <name>:
// ..."; exit 1 when any case is wrong or an expression does not evaluate.
//   node admission_policy.mjs <node_modules folder> < input.json
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.argv[2];
const { evaluate } = await import(pathToFileURL(path.join(modules, "@marcbachmann", "cel-js", "lib", "index.js")));
const { policy, cases } = JSON.parse(fs.readFileSync(0, "utf8"));
const spec = policy.spec;

function outcome(c) {
  const context = { request: c.request, object: c.object, oldObject: c.oldObject, variables: {} };
  for (const condition of spec.matchConditions || []) {
    if (evaluate(condition.expression, context) !== true) {
      return { allowed: "skipped" };
    }
  }
  for (const variable of spec.variables || []) {
    context.variables[variable.name] = evaluate(variable.expression, context);
  }
  for (const validation of spec.validations) {
    const result = evaluate(validation.expression, context);
    if (result !== true) {
      const message = validation.messageExpression ? evaluate(validation.messageExpression, context) : validation.message;
      return { allowed: false, message };
    }
  }
  return { allowed: true };
}

let wrong = 0;
for (const c of cases) {
  try {
    const got = outcome(c);
    if (got.allowed === c.allowed) {
      console.log(`ok ${c.name}${got.message ? ` (${got.message})` : ""}`);
    } else {
      console.log(`wrong ${c.name}: expected ${c.allowed}, got ${got.allowed} ${got.message || ""}`);
      wrong++;
    }
  } catch (e) {
    console.log(`wrong ${c.name}: ${e.message}`);
    wrong++;
  }
}
process.exit(wrong ? 1 : 0);
