// Revisions built in memory, as the loader would return them from files named
// <id>.sql (for tests that need no folder: the migrator on a driver, offline
// rendering, step batches). The upgrade section starts on line 6.
#pragma once

#include "script/revision_file.hpp"

#include <string>

namespace lockstep::test {

inline script::Revision make_revision(const std::string& id, const std::string& parent, const std::string& up,
                                      const std::string& down, bool transactional = true)
{
  script::Revision rev;
  rev.id = id;
  if (!parent.empty()) {
    rev.parents.push_back(parent);
  }
  rev.message = "add " + id;
  rev.transactional = transactional;
  rev.upgrade_sql = up;
  rev.downgrade_sql = down;
  rev.upgrade_line = 6;
  rev.downgrade_line = 10;
  rev.path = id + ".sql";
  return rev;
}

} // namespace lockstep::test
