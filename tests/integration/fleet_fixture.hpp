// What the fleet tests share: migrations whose side effects can be counted,
// tenant schemas, per-schema queries, the ids a run printed, and holding
// every target's migration lock from outside (to prove a run never asks
// for it).
#pragma once

#include "support/test_env.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lockstep::test::fleet {

// r1 creates `items` in the first schema of the search_path and counts
// itself in `applied_log` (no unique key: a second run would add a second
// row); r2 adds a row. `r1_extra` runs inside r1.
void write_migrations(const TempDir& dir, const std::string& r1_extra = "");

// "tenant_0042"
std::string tenant(int i);

// `count` tenant schemas tenant_0001.. in `db`.
void create_tenants(const ScratchDatabase& db, int count);

// One row per tenant schema: schema, then `expression` over that schema's
// tables, where $S stands for the schema.
std::map<std::string, std::string> per_schema(const ScratchDatabase& db, int count, const std::string& expression);

std::vector<std::string> schema_args(const ScratchDatabase& db, const TempDir& dir);

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more);

// The "target" of every per-target JSON line a run printed.
std::vector<std::string> targets_in(const std::string& out);

// How many per-target JSON lines have "result":"<result>".
int count_result(const std::string& out, const std::string& result);

// One session on `url` holding the advisory lock of lockstep's tables in
// each of `schemas` ("" = the search path's): while it lives, any run that
// asks for one of those locks waits.
class LockHolder {
public:
  LockHolder(const std::string& url, const std::vector<std::string>& schemas);
  ~LockHolder();

private:
  struct Session;
  std::unique_ptr<Session> m_session;
};

} // namespace lockstep::test::fleet
