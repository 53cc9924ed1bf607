#include "schema/describe.hpp"

#include <algorithm>

namespace lockstep::schema {

namespace {

std::string identity_options(const Column& c)
{
  std::string out;
  for (const auto& option : c.identity_options) {
    out += (out.empty() ? "" : " ") + option;
  }
  return out;
}

} // namespace

std::vector<std::string> describe(const Model& m)
{
  std::vector<std::string> lines;
  auto add = [&](std::string line) { lines.push_back(std::move(line)); };
  for (const auto& s : m.schemas) {
    add("schema " + s);
  }
  for (const auto& e : m.extensions) {
    auto schema = m.extension_schemas.find(e);
    add("extension " + e + (schema == m.extension_schemas.end() ? "" : " in schema " + schema->second));
  }
  for (const auto& [name, labels] : m.enums) {
    std::string list;
    for (const auto& l : labels) {
      list += (list.empty() ? "'" : ", '") + l + "'";
    }
    add("enum " + name + " (" + list + ")");
  }
  for (const auto& [name, def] : m.ranges) {
    add("range type " + name + " (" + def + ")");
  }
  for (const auto& [name, d] : m.domains) {
    add("domain " + name + " " + d.base + (d.not_null ? " not null" : "") +
        (d.default_expr.empty() ? "" : " default " + d.default_expr));
    for (const auto& [constraint, def] : d.constraints) {
      add("domain " + name + " constraint " + constraint + " " + def);
    }
  }
  for (const auto& [name, t] : m.composites) {
    std::string list;
    for (const auto& [attribute, type] : t.attributes) {
      list += (list.empty() ? "" : ", ") + attribute + " " + type;
    }
    add("composite type " + name + " (" + list + ")");
  }
  for (const auto& [name, s] : m.sequences) {
    add("sequence " + name + " " + s.definition + (s.owned_by.empty() ? "" : " owned by " + s.owned_by));
  }
  for (const auto& [name, t] : m.tables) {
    std::string line = "table " + name + (t.unlogged ? " unlogged" : "");
    if (!t.parent.empty()) {
      line += " partition of " + t.parent + " " + t.bound;
    }
    if (!t.partition_key.empty()) {
      line += " partition by " + t.partition_key;
    }
    for (const auto& [key, value] : t.options) {
      line += " " + key + "=" + value;
    }
    line += t.row_security ? " row level security" : "";
    line += t.force_row_security ? " (forced)" : "";
    add(line);
    for (const auto& [column, c] : t.columns) {
      add("table " + name + " column " + column + " " + c.type + (c.collation.empty() ? "" : " collate " + c.collation) +
          (c.not_null ? " not null" : "") + (c.default_expr.empty() ? "" : " default " + c.default_expr) +
          (c.identity.empty() ? "" : " identity " + c.identity + " (" + identity_options(c) + ")") +
          (c.generated.empty() ? "" : " generated " + c.generated));
    }
    for (const auto& [constraint, c] : t.constraints) {
      add("table " + name + " constraint " + constraint + " " + c.definition);
    }
  }
  for (const auto& [name, i] : m.indexes) {
    add("index " + i.definition);
  }
  for (const auto& [name, v] : m.views) {
    add(std::string(v.materialized ? "materialized view " : "view ") + name +
        (v.options.empty() ? "" : " with (" + v.options + ")") + " " + v.definition);
  }
  for (const auto& [name, f] : m.functions) {
    add(std::string(f.procedure ? "procedure " : "function ") + name + " " + f.definition);
  }
  for (const auto& [name, t] : m.triggers) {
    add("trigger " + t.definition);
  }
  for (const auto& [name, p] : m.policies) {
    add("policy " + p.definition);
  }
  for (const auto& [key, p] : m.privileges) {
    std::string grants;
    for (const auto& grant : p.grants) {
      grants += (grants.empty() ? "" : " ") + grant;
    }
    add("privileges of " + key + " owner " + p.owner + " grants " + grants);
  }
  for (const auto& [target, c] : m.comments) {
    add("comment on " + target + " " + c.text);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

} // namespace lockstep::schema
