// `.env` files, as Alembic projects keep them next to their code.
//
//   # comment
//   DATABASE_URL=postgresql://app@db/app
//   export LOCKSTEP_LOCK_TIMEOUT=5m      # trailing comment
//   GREETING="a \"quoted\" value\nwith an escape"
//   RAW='single quotes: no escapes, no comments #'
//
// Values are one line. Double-quoted values honour \n, \t, \" and \\; single-quoted values are
// literal; unquoted values end at " #". A line that is none of these is
// Error(usage) naming file:line.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace lockstep::config {

std::map<std::string, std::string> parse_dotenv(std::string_view text, const std::string& path);

} // namespace lockstep::config
