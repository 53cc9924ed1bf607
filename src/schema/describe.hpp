// A model as sorted lines, one per object and property ("table orders
// column id integer not null default ..."): what `check` prints beside the
// objects that differ. Whether two models differ is decided by schema::diff,
// never by these lines.
#pragma once

#include "schema/model.hpp"

#include <string>
#include <vector>

namespace lockstep::schema {

std::vector<std::string> describe(const Model& model);

} // namespace lockstep::schema
