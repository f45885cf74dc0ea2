// Compiled into every program that links crashlab::framework from an installed package
// (or from crashlab built as a subproject): registers that package's libexec dir, which
// CMake computed from where it found the package when this program was configured, so a
// program outside crashlab's tree finds the helpers, and a moved package still works.
#include "framework/helpers.h"

#ifndef CRASHLAB_PACKAGE_LIBEXEC_DIR
#error "CRASHLAB_PACKAGE_LIBEXEC_DIR must be defined (crashlabConfig.cmake does)"
#endif

namespace {
[[maybe_unused]] const bool kCrashlabPackageDir =
    crashlab::AddHelperDir(CRASHLAB_PACKAGE_LIBEXEC_DIR);
}  // namespace
