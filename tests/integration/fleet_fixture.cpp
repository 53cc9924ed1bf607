#include "fleet_fixture.hpp"

#include "db/state_sql.hpp"

#include <pqxx/pqxx>

#include <cstdio>
#include <sstream>

namespace lockstep::test::fleet {

void write_migrations(const TempDir& dir, const std::string& r1_extra)
{
  write_revision_file(dir.path(), "r1", {},
                      "CREATE TABLE items (id int PRIMARY KEY, name text);\n"
                      "CREATE TABLE applied_log (revision text NOT NULL);\n"
                      "INSERT INTO applied_log VALUES ('r1');\n" + r1_extra,
                      "DROP TABLE applied_log;\nDROP TABLE items;");
  write_revision_file(dir.path(), "r2", {"r1"},
                      "INSERT INTO items VALUES (1, 'first');\nINSERT INTO applied_log VALUES ('r2');",
                      "DELETE FROM items;\nDELETE FROM applied_log WHERE revision = 'r2';");
}

std::string tenant(int i)
{
  char name[32];
  std::snprintf(name, sizeof name, "tenant_%04d", i);
  return name;
}

void create_tenants(const ScratchDatabase& db, int count)
{
  db.exec("DO $$ BEGIN FOR i IN 1.." + std::to_string(count) +
          " LOOP EXECUTE format('CREATE SCHEMA tenant_%s', lpad(i::text, 4, '0')); END LOOP; END $$;");
}

std::map<std::string, std::string> per_schema(const ScratchDatabase& db, int count, const std::string& expression)
{
  std::string sql;
  for (int i = 1; i <= count; ++i) {
    std::string s = tenant(i);
    std::string e = expression;
    for (size_t at; (at = e.find("$S")) != std::string::npos;) {
      e.replace(at, 2, s);
    }
    sql += (sql.empty() ? "" : " UNION ALL ") + std::string("SELECT '") + s + "', (" + e + ")::text";
  }
  std::map<std::string, std::string> out;
  for (const auto& row : db.query(sql)) {
    out[row[0]] = row[1];
  }
  return out;
}

std::vector<std::string> schema_args(const ScratchDatabase& db, const TempDir& dir)
{
  return {"--database-url", db.url(), "--migrations", dir.path(), "--fleet-schemas", "tenant\\_%"};
}

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more)
{
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

std::vector<std::string> targets_in(const std::string& out)
{
  std::vector<std::string> ids;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{\"target\":\"", 0) == 0) {
      ids.push_back(line.substr(11, line.find('"', 11) - 11));
    }
  }
  return ids;
}

int count_result(const std::string& out, const std::string& result)
{
  int n = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    n += line.rfind("{\"target\":", 0) == 0 && line.find("\"result\":\"" + result + "\"") != std::string::npos;
  }
  return n;
}

struct LockHolder::Session {
  explicit Session(const std::string& url) : connection(url) {}
  pqxx::connection connection;
};

LockHolder::LockHolder(const std::string& url, const std::vector<std::string>& schemas)
  : m_session(std::make_unique<Session>(url))
{
  pqxx::nontransaction tx(m_session->connection);
  for (const auto& schema : schemas) {
    db::TableNames names;
    names.schema = schema;
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(db::lock_key(names)) + ")");
  }
}

LockHolder::~LockHolder() = default;

} // namespace lockstep::test::fleet
