#include "script/lazy_text.hpp"

#include <ostream>

namespace lockstep::script {

std::ostream& operator<<(std::ostream& out, const LazyText& text)
{
  return out << text.view();
}

} // namespace lockstep::script
