// The history of a run: every op's invoke and completion, appended from many threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "framework/op.h"

namespace crashlab {

// One history entry: the op, when it was invoked and completed (ns on the monotonic
// clock, relative to the history's start), its outcome and, for unknown ops, what the
// checkers later learned of it.
struct Entry {
  Op op;
  int64_t invoke_ns = 0;
  int64_t complete_ns = 0;
  Outcome outcome = Outcome::kPending;
  Outcome resolved = Outcome::kPending;  // unknown ops: kOk/kFail once a check saw them
  uint16_t cycle = 0;
  // What a check found wrong with this op (history.jsonl's "anomaly"): none, or the op
  // was acknowledged and lost, or failed and is present.
  enum class Finding : uint8_t { kNone = 0, kLost = 1, kPhantom = 2 } finding = Finding::kNone;
};
static_assert(sizeof(Entry) <= 64, "history must stay at most 64 bytes per op");

// Append-only, thread-safe history. Invoke() reserves a slot with one atomic add;
// Complete() writes only its own slot, so workers never contend on a lock. Entries
// never move, so a reference stays valid for the life of the history.
class History {
 public:
  History();
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // Records the invocation of `op` and returns its index. Assigns op.id = index.
  // Thread-safe.
  uint64_t Invoke(Op op, uint16_t cycle = 0);
  // Records the outcome of the op at `index`. Thread-safe for distinct indexes.
  void Complete(uint64_t index, Outcome outcome);

  // Number of invoked ops. Entries below Size() whose outcome is not kPending are
  // complete; read them only after the workers that wrote them were joined.
  uint64_t Size() const { return size_.load(std::memory_order_acquire); }
  Entry& operator[](uint64_t i) {
    return chunks_[i >> kChunkBits].load(std::memory_order_relaxed)[i & kChunkMask];
  }
  const Entry& operator[](uint64_t i) const {
    return chunks_[i >> kChunkBits].load(std::memory_order_relaxed)[i & kChunkMask];
  }

  // Live counters, updated on Complete(); cheap to poll from a progress thread.
  uint64_t ok() const { return ok_.load(std::memory_order_relaxed); }
  uint64_t fail() const { return fail_.load(std::memory_order_relaxed); }
  uint64_t unknown() const { return unknown_.load(std::memory_order_relaxed); }

  // Every op that is still pending, or that was acknowledged (ok) after `instant_ns`,
  // becomes unknown: after a simulated power cut at that instant its acknowledgement
  // could never have reached the client, and what it wrote may or may not be there.
  // A definite failure stays definite: the store never applied it, and a power cut only
  // takes data away, so it cannot appear. Requires that no worker is running.
  uint64_t DemoteAfter(int64_t instant_ns);
  // Nanoseconds since the history started (the clock of invoke_ns / complete_ns).
  int64_t Now() const;

  // Streams entries [flushed, Size()) as JSON lines to `path` (appending). Requires
  // that no worker is running. The history file is what a post-mortem reads.
  void FlushTo(const std::filesystem::path& path);

 private:
  static constexpr int kChunkBits = 16;
  static constexpr uint64_t kChunkMask = (1ull << kChunkBits) - 1;
  static constexpr size_t kMaxChunks = 1 << 16;  // 4 G ops

  Entry* ChunkFor(uint64_t index);

  std::unique_ptr<std::atomic<Entry*>[]> chunks_;
  std::atomic<uint64_t> size_{0};
  std::atomic<uint64_t> ok_{0}, fail_{0}, unknown_{0};
  int64_t start_ns_;
  uint64_t flushed_ = 0;
};

}  // namespace crashlab
