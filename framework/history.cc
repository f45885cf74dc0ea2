// History: lock-free slot reservation in fixed-size chunks, JSON-lines streaming.
#include "framework/history.h"

#include <time.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace crashlab {

namespace {
int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

History::History() : chunks_(new std::atomic<Entry*>[kMaxChunks]), start_ns_(MonotonicNs()) {
  for (size_t i = 0; i < kMaxChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
  chunks_[0].store(new Entry[1 << kChunkBits], std::memory_order_release);
}

History::~History() {
  for (size_t i = 0; i < kMaxChunks; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
}

int64_t History::Now() const { return MonotonicNs() - start_ns_; }

Entry* History::ChunkFor(uint64_t index) {
  const uint64_t c = index >> kChunkBits;
  if (c >= kMaxChunks) throw std::length_error("history is full (4G ops)");
  Entry* chunk = chunks_[c].load(std::memory_order_acquire);
  if (chunk != nullptr) return chunk;
  Entry* fresh = new Entry[1 << kChunkBits];
  if (chunks_[c].compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) return fresh;
  delete[] fresh;  // another thread published it first
  return chunk;
}

uint64_t History::Invoke(Op op, uint16_t cycle) {
  const uint64_t index = size_.fetch_add(1, std::memory_order_acq_rel);
  Entry& e = ChunkFor(index)[index & kChunkMask];
  op.id = index;
  e.op = op;
  e.cycle = cycle;
  e.invoke_ns = Now();
  return index;
}

void History::Complete(uint64_t index, Outcome outcome) {
  Entry& e = (*this)[index];
  e.complete_ns = Now();
  e.outcome = outcome;
  switch (outcome) {
    case Outcome::kOk:
      ok_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Outcome::kFail:
      fail_.fetch_add(1, std::memory_order_relaxed);
      break;
    default:
      unknown_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
}

uint64_t History::DemoteAfter(int64_t instant_ns) {
  uint64_t demoted = 0;
  const uint64_t n = Size();
  for (uint64_t i = 0; i < n; ++i) {
    Entry& e = (*this)[i];
    if (e.outcome == Outcome::kPending) {
      e.outcome = Outcome::kUnknown;
      e.complete_ns = instant_ns;
      unknown_.fetch_add(1, std::memory_order_relaxed);
      ++demoted;
    } else if (e.complete_ns > instant_ns && e.outcome == Outcome::kOk) {
      ok_.fetch_sub(1, std::memory_order_relaxed);
      unknown_.fetch_add(1, std::memory_order_relaxed);
      e.outcome = Outcome::kUnknown;
      ++demoted;
    }
  }
  return demoted;
}

namespace {
const char* FindingField(Entry::Finding f) {
  switch (f) {
    case Entry::Finding::kLost:
      return ",\"anomaly\":\"lost\"";
    case Entry::Finding::kPhantom:
      return ",\"anomaly\":\"phantom\"";
    default:
      return "";
  }
}
}  // namespace

void History::FlushTo(const std::filesystem::path& path) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) throw std::runtime_error("cannot append to history file " + path.string());
  const uint64_t n = Size();
  for (uint64_t i = flushed_; i < n; ++i) {
    const Entry& e = (*this)[i];
    std::fprintf(f,
                 "{\"id\":%llu,\"cycle\":%u,\"worker\":%u,\"kind\":\"%s\",\"key\":%lld,"
                 "\"key2\":%d,\"value\":%lld,\"invoke_ns\":%lld,\"complete_ns\":%lld,"
                 "\"outcome\":\"%s\",\"resolved\":\"%s\"%s}\n",
                 static_cast<unsigned long long>(e.op.id), e.cycle, e.op.worker,
                 std::string(ToString(e.op.kind)).c_str(), static_cast<long long>(e.op.key),
                 e.op.key2, static_cast<long long>(e.op.value), static_cast<long long>(e.invoke_ns),
                 static_cast<long long>(e.complete_ns), std::string(ToString(e.outcome)).c_str(),
                 std::string(ToString(e.resolved)).c_str(), FindingField(e.finding));
  }
  flushed_ = n;
  if (std::fclose(f) != 0) throw std::runtime_error("cannot write history file " + path.string());
}

}  // namespace crashlab
