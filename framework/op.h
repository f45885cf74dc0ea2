// Operations a workload applies to a store and the three outcomes an attempt can have.
#pragma once

#include <cstdint>
#include <string_view>

namespace crashlab {

// What an op does to the store's data model. The framework knows the data models
// (rows, registers, accounts, counters, lists, markers), never a store's syntax: each
// Client maps these kinds onto its own statements.
enum class OpKind : uint8_t {
  kInsert = 0,     // row `key` := value; keys are unique per run
  kUpdate = 1,     // existing row `key` := value
  kDelete = 2,     // remove row `key`
  kTransfer = 3,   // move `value` from account `key` to account `key2`
  kIncrement = 4,  // counter `key` += value
  kAppend = 5,     // append element `value` to list `key`
  kMarker = 6,     // named marker row `key` (rendered as "CRASHLAB_MARKER_<key>")
  kRead = 7,       // read-only; never changes state
};

std::string_view ToString(OpKind kind);

// ok: acknowledged, must survive. fail: definitely not applied, must be absent.
// unknown: in flight when the fault hit, timed out, connection dropped: either way.
enum class Outcome : uint8_t { kPending = 0, kOk = 1, kFail = 2, kUnknown = 3 };

std::string_view ToString(Outcome outcome);

// One operation. 32 bytes; ids are assigned by History in invoke order.
struct Op {
  uint64_t id = 0;
  int64_t key = 0;
  int64_t value = 0;
  int32_t key2 = 0;
  uint16_t worker = 0;
  OpKind kind = OpKind::kInsert;
  uint8_t cycle_hint = 0;  // unused by the core; free for a workload's bookkeeping
};
static_assert(sizeof(Op) == 32);

}  // namespace crashlab
