#include "script/statement_facts.hpp"

#include "script/statements.hpp"
#include "util/error.hpp"

namespace lockstep::script {

namespace {

// Encoding, per section (integers are LEB128 varints):
//   0, count, then per statement: begin - previous end, length,
//      line - previous line, TransactionUse
//   1, error line, message length, message
void put_varint(std::string& out, uint64_t v)
{
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void encode_section(std::string& out, const SectionFacts& facts)
{
  if (!facts.parses) {
    put_varint(out, 1);
    put_varint(out, facts.error_line);
    put_varint(out, facts.syntax_error.size());
    out += facts.syntax_error;
    return;
  }
  put_varint(out, 0);
  put_varint(out, facts.statements.size());
  uint32_t end = 0;
  uint32_t line = 0;
  for (const auto& s : facts.statements) {
    put_varint(out, s.begin - end);
    put_varint(out, s.length);
    put_varint(out, s.line - line);
    put_varint(out, static_cast<uint8_t>(s.use));
    end = s.begin + s.length;
    line = s.line;
  }
}

class FactsReader {
public:
  FactsReader(std::string_view bytes, const Revision& rev) : m_bytes(bytes), m_rev(rev) {}

  uint32_t number()
  {
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (m_at >= m_bytes.size()) {
        corrupt();
      }
      const auto byte = static_cast<unsigned char>(m_bytes[m_at++]);
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        if (v > 0xFFFFFFFFu) {
          corrupt();
        }
        return static_cast<uint32_t>(v);
      }
    }
    corrupt();
  }

  SectionFacts section(size_t sql_size)
  {
    SectionFacts facts;
    const uint32_t kind = number();
    if (kind == 1) {
      facts.parses = false;
      facts.error_line = number();
      const uint32_t size = number();
      if (size > m_bytes.size() - m_at) {
        corrupt();
      }
      facts.syntax_error.assign(m_bytes.substr(m_at, size));
      m_at += size;
      return facts;
    }
    if (kind != 0) {
      corrupt();
    }
    const uint32_t count = number();
    if (count > m_bytes.size() - m_at) {  // each takes at least four bytes
      corrupt();
    }
    facts.statements.resize(count);
    uint64_t end = 0;
    uint64_t line = 0;
    for (auto& s : facts.statements) {
      const uint64_t begin = end + number();
      const uint64_t length = number();
      line += number();
      const uint32_t use = number();
      if (begin + length > sql_size || length == 0 || line > 0xFFFFFFFFu || use > kLastTransactionUse) {
        corrupt();
      }
      s.begin = static_cast<uint32_t>(begin);
      s.length = static_cast<uint32_t>(length);
      s.line = static_cast<uint32_t>(line);
      s.use = static_cast<TransactionUse>(use);
      end = begin + length;
    }
    return facts;
  }

  [[noreturn]] void corrupt() const
  {
    throw_usage(m_rev.path + ": corrupt migration bundle: the stored statement facts of revision " + m_rev.id +
                " do not fit its SQL; write it again with 'lockstep bundle'");
  }

private:
  std::string_view m_bytes;
  const Revision& m_rev;
  size_t m_at = 0;
};

} // namespace

SectionFacts analyze_section(std::string_view sql)
{
  SectionFacts facts;
  std::vector<StatementSpan> spans;
  int error_line = 0;
  if (!split_spans(sql, spans, facts.syntax_error, error_line)) {
    facts.parses = false;
    facts.error_line = static_cast<uint32_t>(error_line);
    return facts;
  }
  facts.statements.reserve(spans.size());
  std::string text;
  for (const auto& span : spans) {
    text.assign(sql.substr(span.begin, span.end - span.begin));
    facts.statements.push_back({static_cast<uint32_t>(span.begin), static_cast<uint32_t>(span.end - span.begin),
                                static_cast<uint32_t>(span.line), classify_statement(text)});
  }
  return facts;
}

SectionFacts facts_of(const Revision& rev, bool upgrade)
{
  const LazyText stored = rev.downgrade_sql.next(rev.facts_size);
  if (stored.empty()) {
    return analyze_section(upgrade ? rev.upgrade_sql.view() : rev.downgrade_sql.view());
  }
  FactsReader in(stored.view(), rev);
  if (in.number() != kStatementRulesVersion) {
    // Written by a lockstep whose rules differ: derive the verdicts again.
    return analyze_section(upgrade ? rev.upgrade_sql.view() : rev.downgrade_sql.view());
  }
  SectionFacts up = in.section(rev.upgrade_sql.size());
  if (upgrade) {
    return up;
  }
  return in.section(rev.downgrade_sql.size());
}

void require_parses(const SectionFacts& facts, const std::string& location, int first_line)
{
  if (!facts.parses) {
    throw_usage(location + ":" + std::to_string(first_line + static_cast<int>(facts.error_line)) +
                ": syntax error: " + facts.syntax_error);
  }
}

std::string encode_facts(const SectionFacts& upgrade, const SectionFacts& downgrade)
{
  std::string out;
  put_varint(out, kStatementRulesVersion);
  encode_section(out, upgrade);
  encode_section(out, downgrade);
  return out;
}

} // namespace lockstep::script
