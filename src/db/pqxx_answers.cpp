#include "db/pqxx_answers.hpp"

#include "util/strings.hpp"

#include <utility>

namespace lockstep::db {

namespace {

template <class T>
bool is_a(const pqxx::failure& e)
{
  return dynamic_cast<const T*>(&e) != nullptr;
}

} // namespace

std::string server_message(const std::string& what)
{
  std::string out;
  size_t start = 0;
  while (start < what.size()) {
    size_t end = what.find('\n', start);
    if (end == std::string::npos) {
      end = what.size();
    }
    std::string line(util::trim(std::string_view(what).substr(start, end - start)));
    start = end + 1;
    for (const char* prefix : {"ERROR:", "FATAL:"}) {
      if (util::starts_with(line, prefix)) {
        line = std::string(util::trim(line.substr(std::string(prefix).size())));
      }
    }
    if (line.empty() || util::starts_with(line, "LINE ") || line.find_first_not_of(" ^") == std::string::npos ||
        util::starts_with(line, "CONTEXT:")) {
      continue;
    }
    out += out.empty() ? line : " " + line;
  }
  return out;
}

std::string sqlstate_of(const pqxx::failure& e)
{
  if (auto sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr && !sql->sqlstate().empty()) {
    return sql->sqlstate();
  }
  static const std::pair<bool (*)(const pqxx::failure&), const char*> by_type[] = {
    {&is_a<pqxx::serialization_failure>, "40001"},
    {&is_a<pqxx::deadlock_detected>, "40P01"},
    {&is_a<pqxx::statement_completion_unknown>, "40003"},
    {&is_a<pqxx::transaction_rollback>, "40000"},
    {&is_a<pqxx::insufficient_privilege>, "42501"},
    {&is_a<pqxx::undefined_column>, "42703"},
    {&is_a<pqxx::undefined_table>, "42P01"},
    {&is_a<pqxx::undefined_function>, "42883"},
    {&is_a<pqxx::syntax_error>, "42601"},
    {&is_a<pqxx::too_many_connections>, "53300"},
    {&is_a<pqxx::disk_full>, "53100"},
    {&is_a<pqxx::out_of_memory>, "53200"},
    {&is_a<pqxx::insufficient_resources>, "53000"},
  };
  for (const auto& [is, sqlstate] : by_type) {
    if (is(e)) {
      return sqlstate;
    }
  }
  return "";
}

std::string text_of(const pqxx::field& field)
{
  return field.is_null() ? std::string() : field.c_str();
}

} // namespace lockstep::db
