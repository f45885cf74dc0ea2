// Names of op kinds and outcomes, as they appear in reports and history files.
#include "framework/op.h"

namespace crashlab {

std::string_view ToString(OpKind kind) {
  switch (kind) {
    case OpKind::kInsert:
      return "insert";
    case OpKind::kUpdate:
      return "update";
    case OpKind::kDelete:
      return "delete";
    case OpKind::kTransfer:
      return "transfer";
    case OpKind::kIncrement:
      return "increment";
    case OpKind::kAppend:
      return "append";
    case OpKind::kMarker:
      return "marker";
    case OpKind::kRead:
      return "read";
  }
  return "?";
}

std::string_view ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

}  // namespace crashlab
