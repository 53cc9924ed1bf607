#include "script/lazy_text.hpp"

#include <cstring>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <utility>

namespace lockstep::script {

LazyText::LazyText(const TextSource* source, uint32_t chunk, uint32_t offset, uint32_t size)
  : m_source(source), m_size(size)
{
  m_where.at = {chunk, offset};
}

LazyText::LazyText(const LazyText& other)
{
  if (other.m_source) {
    m_source = other.m_source;
    m_where = other.m_where;
    m_size = other.m_size;
  } else {
    assign(other.view());
  }
}

LazyText::LazyText(LazyText&& other) noexcept
{
  swap(other);
}

LazyText& LazyText::operator=(const LazyText& other)
{
  if (this != &other) {
    LazyText copy(other);
    swap(copy);
  }
  return *this;
}

LazyText& LazyText::operator=(LazyText&& other) noexcept
{
  LazyText moved(std::move(other));
  swap(moved);
  return *this;
}

LazyText::~LazyText()
{
  if (!m_source) {
    delete[] m_where.owned;
  }
}

void LazyText::assign(std::string_view text)
{
  if (text.size() > std::numeric_limits<uint32_t>::max()) {
    throw std::length_error("a SQL section of 4 GiB or more");
  }
  m_source = nullptr;
  m_size = static_cast<uint32_t>(text.size());
  m_where.owned = nullptr;
  if (!text.empty()) {
    m_where.owned = new char[text.size()];
    std::memcpy(m_where.owned, text.data(), text.size());
  }
}

void LazyText::swap(LazyText& other) noexcept
{
  std::swap(m_source, other.m_source);
  std::swap(m_where, other.m_where);
  std::swap(m_size, other.m_size);
}

std::ostream& operator<<(std::ostream& out, const LazyText& text)
{
  return out << text.view();
}

} // namespace lockstep::script
