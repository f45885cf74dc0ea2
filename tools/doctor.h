// crashlab doctor: which prerequisites are present, and what each missing one disables.
#pragma once

#include <ostream>

namespace crashlab::tools {
// Prints one line per prerequisite; returns 0 (doctor reports, it does not fail).
int Doctor(std::ostream& out);
}  // namespace crashlab::tools
