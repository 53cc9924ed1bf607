// Text that is either held in memory or read from a shared source: a
// bundle's SQL sections and checksums, which most commands never look at
// (`heads` and `history` need only the headers), stay compressed until
// something reads them; a folder's sections point into the file bytes its
// loader kept (script/directory), so none is copied.
//
// LazyText promises: view() gives the same bytes whichever way the text is
// held; size() and empty() never read the source; copies of a text read
// from a source share it, and any number of threads may read one LazyText
// at once (the source inflates each chunk once, under its own lock). A
// source lives until the process ends (a process loads its migrations
// once), so a LazyText never outlives it. A source that cannot produce a
// chunk (a crafted bundle whose checksum still matches) throws Error(usage)
// from view(), naming the bundle. At 24 bytes it is smaller than the
// std::string it replaces: 10,000 revisions hold three each.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace lockstep::script {

// Where lazily read text lives: chunks of bytes, produced on first use and
// valid for as long as the process runs.
class TextSource {
public:
  virtual ~TextSource() = default;
  virtual std::string_view chunk(uint32_t index) const = 0;
};

class LazyText {
public:
  LazyText() = default;
  LazyText(const std::string& text) { assign(text); }  // NOLINT: implicit, like the std::string it replaces
  LazyText(const char* text) { assign(text); }         // NOLINT
  explicit LazyText(std::string_view text) { assign(text); }
  // `size` bytes at `offset` of chunk `chunk` of `source`.
  LazyText(const TextSource* source, uint32_t chunk, uint32_t offset, uint32_t size);
  LazyText(const LazyText& other);
  LazyText(LazyText&& other) noexcept;
  LazyText& operator=(const LazyText& other);
  LazyText& operator=(LazyText&& other) noexcept;
  ~LazyText();

  std::string_view view() const
  {
    return m_source ? m_source->chunk(m_where.at.chunk).substr(m_where.at.offset, m_size)
                    : std::string_view(m_where.owned, m_size);
  }
  operator std::string_view() const { return view(); }  // NOLINT: reads where a string did
  std::string str() const { return std::string(view()); }

  size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }

  // The `size` bytes stored right after this text in its source (a bundle
  // keeps a revision's statement facts after its downgrade section); empty
  // for text held in memory or when `size` is 0. Reads nothing.
  LazyText next(uint32_t size) const
  {
    return m_source != nullptr && size > 0 ? LazyText(m_source, m_where.at.chunk, m_where.at.offset + m_size, size)
                                           : LazyText();
  }

  friend bool operator==(const LazyText& a, std::string_view b) { return a.view() == b; }
  friend bool operator!=(const LazyText& a, std::string_view b) { return a.view() != b; }

private:
  void assign(std::string_view text);
  void swap(LazyText& other) noexcept;

  struct At {
    uint32_t chunk;
    uint32_t offset;
  };
  union Where {
    char* owned;  // with no source: the bytes, or null when empty
    At at;        // with a source
  };
  const TextSource* m_source = nullptr;
  Where m_where{nullptr};
  uint32_t m_size = 0;
};

std::ostream& operator<<(std::ostream& out, const LazyText& text);

} // namespace lockstep::script
