// The catalog reader: the only code that reads pg_catalog, and the only
// producer of schema::Model. `check` and `revision --autogenerate` both read
// their two scratch databases through it, so they can never disagree about
// what a database holds.
//
// It reads the user's objects: everything outside pg_catalog,
// information_schema and pg_toast that is not a member of an extension and
// not one of lockstep's own tables (`own`: the version table and its
// companions). Objects of a kind the model does not cover (rules,
// aggregates, operators, foreign tables, event triggers, publications,
// casts, statistics objects, table inheritance...) are listed in
// Model::unsupported, never left out silently.
#pragma once

#include "db/session.hpp"
#include "db/state_sql.hpp"
#include "schema/model.hpp"

namespace lockstep::db {

class CatalogReader {
public:
  // `ownership`: also read owners and privileges (Model::privileges).
  CatalogReader(Session& session, TableNames own, bool ownership = false);

  schema::Model read();

private:
  Session& m_session;
  TableNames m_own;
  bool m_ownership;
};

} // namespace lockstep::db
