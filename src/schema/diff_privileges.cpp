// Owners and grants (only when ownership is managed: otherwise both models
// hold none). After every create, so each object exists; a new object
// starts with its creator as owner and the default privileges.
#include "schema/diff_context.hpp"

#include <algorithm>

namespace lockstep::schema::detail {

namespace {

// "grantee=PRIVILEGE[*]" entries grouped: grantee -> (privileges, with grant option).
std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> by_grantee(
  const std::vector<std::string>& grants)
{
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> out;
  for (const auto& grant : grants) {
    size_t eq = grant.rfind('=');
    std::string privilege = grant.substr(eq + 1);
    const bool grantable = !privilege.empty() && privilege.back() == '*';
    if (grantable) {
      privilege.pop_back();
    }
    auto& entry = out[grant.substr(0, eq)];
    (grantable ? entry.second : entry.first).push_back(privilege);
  }
  return out;
}

} // namespace

void privileges(Context& c)
{
  for (const auto& [key, want] : c.to.privileges) {
    auto it = c.from.privileges.find(key);
    const bool is_new = it == c.from.privileges.end() || c.recreated.count(want.name) != 0 ||
                        c.dropped_views.count(want.name) != 0;
    // A sequence owned by a column has its table's owner: it follows the table.
    auto sequence = c.to.sequences.find(want.name);
    const bool follows_table =
      want.kind == "SEQUENCE" && sequence != c.to.sequences.end() && !sequence->second.owned_by.empty();
    if (!follows_table && (is_new || it->second.owner != want.owner)) {
      c.add("ALTER " + want.kind + " " + want.name + " OWNER TO " + want.owner + ";");
    }
    // A new object has the default privileges; so has one whose ACL was never set.
    const bool was_default = is_new || it->second.default_grants;
    std::vector<std::string> was = is_new ? std::vector<std::string>() : it->second.grants;
    if ((was_default && want.default_grants) || (!is_new && was == want.grants)) {
      continue;
    }
    // Start from nothing, then grant what is wanted.
    std::vector<std::string> grantees{"PUBLIC", want.owner};
    for (const auto& list : {was, want.grants}) {
      for (const auto& [grantee, unused] : by_grantee(list)) {
        if (std::find(grantees.begin(), grantees.end(), grantee) == grantees.end()) {
          grantees.push_back(grantee);
        }
      }
    }
    const std::string on = " ON " + want.grant_kind + " " + want.name;
    c.add("REVOKE ALL" + on + " FROM " + join(grantees, ", ") + ";");
    for (const auto& [grantee, privileges] : by_grantee(want.grants)) {
      if (!privileges.first.empty()) {
        c.add("GRANT " + join(privileges.first, ", ") + on + " TO " + grantee + ";");
      }
      if (!privileges.second.empty()) {
        c.add("GRANT " + join(privileges.second, ", ") + on + " TO " + grantee + " WITH GRANT OPTION;");
      }
    }
  }
}

} // namespace lockstep::schema::detail
