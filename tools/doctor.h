// crashlab doctor: which prerequisites are present, and what each missing one disables.
#pragma once

#include <ostream>

namespace crashlab::tools {
// Prints one line per prerequisite the registered specs declare, then each scenario;
// returns 1 if a registered scenario cannot run here (a CI gate), else 0.
int Doctor(std::ostream& out);
// The same checks as one JSON object {prerequisites: [...], scenarios: [...]}; the same
// exit code.
int DoctorJson(std::ostream& out);
}  // namespace crashlab::tools
