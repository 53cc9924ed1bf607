#include "report/summary.hpp"

#include "util/log.hpp"

#include <fstream>

namespace lockstep::report {

namespace {

// How much of each list the message keeps.
struct Kept {
  size_t from, to, applied, failures;
};

std::string quoted(const std::string& text)
{
  return log::json_quote(valid_utf8(text));
}

void add_list(std::string& out, const char* name, const std::vector<std::string>& items, size_t keep)
{
  out += ",\"" + std::string(name) + "\":[";
  for (size_t i = 0; i < items.size() && i < keep; ++i) {
    out += (i > 0 ? "," : "") + quoted(items[i]);
  }
  out += "]";
  if (keep < items.size()) {
    out += ",\"" + std::string(name) + "_count\":" + std::to_string(items.size());
  }
}

std::string render(const RunSummary& s, const std::string& error, Kept kept)
{
  std::string out = "{\"status\":" + quoted(s.status) + ",\"exit_code\":" + std::to_string(s.exit_code) +
                    ",\"command\":" + quoted(s.command);
  add_list(out, "from", s.from, kept.from);
  add_list(out, "to", s.to, kept.to);
  add_list(out, "applied", s.applied, kept.applied);
  out += ",\"nothing_to_do\":" + std::string(s.nothing_to_do ? "true" : "false") +
         ",\"duration_ms\":" + std::to_string(s.duration_ms);
  if (!s.run_id.empty()) {
    out += ",\"run_id\":" + quoted(s.run_id);
  }
  if (!s.failed_revision.empty()) {
    out += ",\"revision\":" + quoted(s.failed_revision);
  }
  if (!s.sqlstate.empty()) {
    out += ",\"sqlstate\":" + quoted(s.sqlstate);
  }
  if (!error.empty()) {
    out += ",\"error\":" + quoted(error);
  }
  if (s.fleet) {
    const FleetTotals& f = *s.fleet;
    out += ",\"fleet\":{\"targets\":" + std::to_string(f.targets) + ",\"succeeded\":" + std::to_string(f.succeeded) +
           ",\"failed\":" + std::to_string(f.failed) + ",\"skipped\":" + std::to_string(f.skipped);
    std::vector<std::string> failures;
    for (const auto& failure : f.failures) {
      failures.push_back(shorten(failure, 256));
    }
    add_list(out, "failures", failures, kept.failures);
    out += "}";
  }
  return out + "}";
}

size_t halve(size_t n)
{
  return n > 8 ? n / 2 : n - 1;
}

} // namespace

std::string valid_utf8(const std::string& text)
{
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (p[i + k] & 0xC0) == 0x80;
    }
    if (ok && len > 1) {
      // Reject overlong forms, surrogates and code points past U+10FFFF.
      unsigned cp = len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
      for (size_t k = 1; k < len; ++k) {
        cp = (cp << 6) | (p[i + k] & 0x3Fu);
      }
      ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
           !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
    }
    if (ok) {
      out.append(text, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

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
  std::string error = shorten(valid_utf8(summary.error), kTerminationErrorLimit);
  Kept kept{summary.from.size(), summary.to.size(), summary.applied.size(),
            summary.fleet ? summary.fleet->failures.size() : 0};
  std::string line = render(summary, error, kept);
  // 0. A fleet's failures beyond the first few (their count stays).
  while (line.size() > limit && kept.failures > 0) {
    kept.failures = halve(kept.failures);
    line = render(summary, error, kept);
  }
  // 1. The applied list (it can hold thousands of revisions on a first
  //    install; its count stays), then the from/to lists (heads: short in
  //    practice).
  while (line.size() > limit && kept.applied > 0) {
    kept.applied = halve(kept.applied);
    line = render(summary, error, kept);
  }
  while (line.size() > limit && (kept.from > 0 || kept.to > 0)) {
    kept.from = kept.from > 0 ? halve(kept.from) : 0;
    kept.to = kept.to > 0 ? halve(kept.to) : 0;
    line = render(summary, error, kept);
  }
  // 2. The error, when escaping made it large: each JSON byte over the
  //    limit costs at least one byte of the raw text, so cutting the excess
  //    (and room for "...") converges.
  while (line.size() > limit && !error.empty()) {
    size_t excess = line.size() - limit;
    error = error.size() > excess + 16 ? shorten(error, error.size() - excess - 16) : "";
    line = render(summary, error, kept);
  }
  // 3. Only the fixed fields, each bounded.
  if (line.size() > limit) {
    RunSummary bare = summary;
    bare.command = shorten(bare.command, 64);
    bare.failed_revision = shorten(bare.failed_revision, 64);
    bare.sqlstate = shorten(bare.sqlstate, 16);
    bare.run_id = shorten(bare.run_id, 64);
    bare.status = shorten(bare.status, 16);
    line = render(bare, "", Kept{0, 0, 0, 0});
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
