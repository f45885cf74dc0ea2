// Seed 002's "critical operations": create/update/read/delete of users, summaries (one
// per user and video: a unique constraint) and share links (unique slugs), with a usage
// event and the user's usage counter written in the same transaction as each summary.
#pragma once

#include <cstdint>
#include <memory>

#include "framework/checker.h"
#include "framework/workload.h"

namespace crashlab::postgres {

// Row keys carry their table in the top byte, so users, summaries and links share the
// rows model (and the generic rows checker: one writer per key, the worker that owns it).
enum class Table : int64_t { kUser = 1, kSummary = 2, kLink = 3 };
constexpr int64_t kTableShift = 56;
constexpr int64_t UserKey(int worker) { return int64_t{1} << kTableShift | worker; }
constexpr int64_t SummaryKey(int worker, uint64_t seq) {
  return int64_t{2} << kTableShift | int64_t{worker} << 40 | static_cast<int64_t>(seq);
}
constexpr int64_t LinkKey(int worker, uint64_t seq) {
  return int64_t{3} << kTableShift | int64_t{worker} << 40 | static_cast<int64_t>(seq);
}
constexpr Table TableOf(int64_t key) { return static_cast<Table>(key >> kTableShift); }

// The mix, per worker: upsert of the worker's user at each cycle start, then summaries
// inserted (op.key2 = video in [0, videos): repeats hit the unique (user, video)
// constraint and fail), updated and deleted, share links created (op.value = slug number
// in [0, slugs): repeats across workers hit the unique slug), plan updates and reads.
// How the observed state encodes it (PostgresClient::ReadState):
//   rows:     users (plan), summaries (version), share links (slug number)
//   counters: user key -> users.usage_count
//   lists:    user key -> summary ids of that user's usage events
std::unique_ptr<Workload> MakeCriticalWorkload(int32_t videos = 24, int32_t slugs = 4000);

// The invariants of the mix beyond the rows checker: usage_count equals the user's usage
// events and lies within the history's bounds, every surviving summary has its event, no
// event of a failed insert, no duplicate (user, video) or slug.
std::unique_ptr<Checker> MakeCriticalInvariantChecker();

}  // namespace crashlab::postgres
