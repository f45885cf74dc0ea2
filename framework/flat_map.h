// A small open-addressing hash map from int64 keys to a value, for checkers that must
// handle millions of ops per second (std::unordered_map allocates per node).
#pragma once

#include <cstdint>
#include <vector>

#include "framework/rng.h"

namespace crashlab {

// Linear probing, power-of-two capacity, no erase. Not thread-safe.
template <typename V>
class FlatMap {
 public:
  explicit FlatMap(size_t expected = 16) { Rehash(Capacity(expected)); }

  // Returns the value for `key`, inserting V{} if absent; `inserted` says which.
  V& FindOrInsert(int64_t key, bool* inserted = nullptr) {
    if ((size_ + 1) * 10 > slots_.size() * 7) Rehash(slots_.size() * 2);
    size_t i = Hash(key) & mask_;
    while (slots_[i].used) {
      if (slots_[i].key == key) {
        if (inserted) *inserted = false;
        return slots_[i].value;
      }
      i = (i + 1) & mask_;
    }
    slots_[i].used = true;
    slots_[i].key = key;
    slots_[i].value = V{};
    ++size_;
    if (inserted) *inserted = true;
    return slots_[i].value;
  }
  V* Find(int64_t key) {
    size_t i = Hash(key) & mask_;
    while (slots_[i].used) {
      if (slots_[i].key == key) return &slots_[i].value;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }
  size_t size() const { return size_; }
  template <typename F>
  void ForEach(F&& f) {
    for (auto& s : slots_) {
      if (s.used) f(s.key, s.value);
    }
  }

 private:
  struct Slot {
    int64_t key;
    V value;
    bool used = false;
  };
  static size_t Capacity(size_t n) {
    size_t c = 16;
    while (c * 7 < n * 10) c <<= 1;
    return c;
  }
  static size_t Hash(int64_t k) { return static_cast<size_t>(Mix64(static_cast<uint64_t>(k))); }
  void Rehash(size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    size_ = 0;
    for (auto& s : old) {
      if (s.used) FindOrInsert(s.key) = s.value;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace crashlab
