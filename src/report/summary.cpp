#include "report/summary.hpp"

#include "util/log.hpp"

#include <fstream>

namespace lockstep::report {

namespace {

std::string json_list(const std::vector<std::string>& items, size_t keep)
{
  std::string out = "[";
  for (size_t i = 0; i < items.size() && i < keep; ++i) {
    out += (i > 0 ? "," : "") + log::json_quote(items[i]);
  }
  return out + "]";
}

std::string render(const RunSummary& s, const std::string& error, size_t applied_kept)
{
  std::string out = "{\"status\":" + log::json_quote(s.status) + ",\"exit_code\":" + std::to_string(s.exit_code) +
                    ",\"command\":" + log::json_quote(s.command) + ",\"from\":" + json_list(s.from, s.from.size()) +
                    ",\"to\":" + json_list(s.to, s.to.size()) + ",\"applied\":" + json_list(s.applied, applied_kept);
  if (applied_kept < s.applied.size()) {
    out += ",\"applied_count\":" + std::to_string(s.applied.size());
  }
  out += ",\"nothing_to_do\":" + std::string(s.nothing_to_do ? "true" : "false") +
         ",\"duration_ms\":" + std::to_string(s.duration_ms);
  if (!s.run_id.empty()) {
    out += ",\"run_id\":" + log::json_quote(s.run_id);
  }
  if (!s.failed_revision.empty()) {
    out += ",\"revision\":" + log::json_quote(s.failed_revision);
  }
  if (!s.sqlstate.empty()) {
    out += ",\"sqlstate\":" + log::json_quote(s.sqlstate);
  }
  if (!error.empty()) {
    out += ",\"error\":" + log::json_quote(error);
  }
  return out + "}";
}

} // namespace

std::string shorten(const std::string& text, size_t max_bytes)
{
  if (text.size() <= max_bytes) {
    return text;
  }
  if (max_bytes < 3) {
    return "";
  }
  size_t cut = max_bytes - 3;
  // Do not split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return text.substr(0, cut) + "...";
}

std::string termination_message(const RunSummary& summary, size_t limit)
{
  std::string error = shorten(summary.error, 1024);
  std::string line = render(summary, error, summary.applied.size());
  // Too long: shorten the error first, then drop applied revisions (their
  // count stays), then the lists of rows.
  while (line.size() > limit && !error.empty()) {
    size_t excess = line.size() - limit;
    error = shorten(error, error.size() > excess + 16 ? error.size() - excess - 16 : 0);
    line = render(summary, error, summary.applied.size());
  }
  size_t kept = summary.applied.size();
  while (line.size() > limit && kept > 0) {
    kept = kept > 8 ? kept / 2 : kept - 1;
    line = render(summary, error, kept);
  }
  if (line.size() > limit) {
    RunSummary bare = summary;
    bare.from.clear();
    bare.to.clear();
    bare.command = shorten(bare.command, 64);
    line = render(bare, "", 0);
  }
  return line;
}

bool write_termination_message(const std::string& path, const std::string& message)
{
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << message;
  out.close();
  return static_cast<bool>(out);
}

} // namespace lockstep::report
