// Text that is either held in memory or read on first use from a shared
// source: a bundle's SQL sections and checksums, which most commands never
// look at (`heads` and `history` need only the headers), stay compressed
// until something reads them.
//
// LazyText promises: view() gives the same bytes whichever way the text is
// held; size() and empty() never read the source; copies are cheap (they
// share the source) and any number of threads may read one LazyText at once
// (the source inflates each chunk once, under its own lock). A source that
// cannot produce a chunk (a crafted bundle whose checksum still matches)
// throws Error(usage) from view(), naming the bundle.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace lockstep::script {

// Where lazily read text lives: chunks of bytes, produced on first use and
// valid for as long as the source lives.
class TextSource {
public:
  virtual ~TextSource() = default;
  virtual std::string_view chunk(uint32_t index) const = 0;
};

class LazyText {
public:
  LazyText() = default;
  LazyText(std::string text) : m_text(std::move(text)) {}  // NOLINT: implicit, like the std::string it replaces
  LazyText(const char* text) : m_text(text) {}             // NOLINT
  // `size` bytes at `offset` of chunk `chunk` of `source`.
  LazyText(std::shared_ptr<const TextSource> source, uint32_t chunk, uint32_t offset, uint32_t size)
    : m_source(std::move(source)), m_chunk(chunk), m_offset(offset), m_size(size)
  {
  }

  std::string_view view() const
  {
    return m_source ? m_source->chunk(m_chunk).substr(m_offset, m_size) : std::string_view(m_text);
  }
  operator std::string_view() const { return view(); }  // NOLINT: reads where a string did
  std::string str() const { return std::string(view()); }

  size_t size() const { return m_source ? m_size : m_text.size(); }
  bool empty() const { return size() == 0; }

  friend bool operator==(const LazyText& a, std::string_view b) { return a.view() == b; }
  friend bool operator!=(const LazyText& a, std::string_view b) { return a.view() != b; }

private:
  std::string m_text;
  std::shared_ptr<const TextSource> m_source;
  uint32_t m_chunk = 0;
  uint32_t m_offset = 0;
  uint32_t m_size = 0;
};

std::ostream& operator<<(std::ostream& out, const LazyText& text);

} // namespace lockstep::script
