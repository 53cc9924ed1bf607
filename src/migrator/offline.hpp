// Offline mode (`upgrade --sql`, `downgrade --sql`): the SQL a DBA can review
// and run by hand, bookkeeping included, without connecting. Alembic's
// offline mode, with the same "from:to" ranges.
#pragma once

#include "db/state_sql.hpp"
#include "migrator/catalog.hpp"

#include <ostream>
#include <string>

namespace lockstep::migrator {

// `range` is "to" or "from:to". Upgrades start from base when no "from" is
// given; downgrades need one (there is no database to ask).
// The SQL is written to `out` as it is produced (10,000 revisions need not
// sit in memory at once).
void offline_upgrade_sql(const Catalog& files, const std::string& range, const db::TableNames& names,
                         const std::string& run_by, std::ostream& out);
void offline_downgrade_sql(const Catalog& files, const std::string& range, const db::TableNames& names,
                           const std::string& run_by, std::ostream& out);

} // namespace lockstep::migrator
