// The writer's dictionary: an open-addressing hash index from a value to its
// dictionary id. String keys are views into an arena whose blocks never move,
// so inserting a string copies its bytes once and nothing per lookup.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace ctlflow {

class StringArena {
 public:
  std::string_view Add(std::string_view s) {
    if (blocks_.empty() || s.size() > capacity_ - used_) {
      capacity_ = std::max<size_t>(kBlockBytes, s.size());
      blocks_.push_back(std::make_unique<char[]>(capacity_));
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
    used_ += s.size();
    return std::string_view(at, s.size());
  }
  void Clear() {
    blocks_.clear();
    used_ = capacity_ = 0;
  }

 private:
  static constexpr size_t kBlockBytes = 256 << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_ = 0, capacity_ = 0;
};

inline uint64_t HashKey(uint64_t v) {
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdULL;
  v ^= v >> 33;
  v *= 0xc4ceb9fe1a85ec53ULL;
  v ^= v >> 33;
  return v;
}

inline uint64_t HashKey(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then mixed
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return HashKey(h);
}

template <typename Key>
class DictionaryIndex {
 public:
  // The id of `key`, inserting it (via `store`, which returns the key to
  // keep) when new; *inserted says which.
  template <typename Store>
  uint32_t FindOrInsert(const Key& key, Store&& store, bool* inserted) {
    if ((keys_.size() + 1) * 2 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    size_t slot = static_cast<size_t>(HashKey(key)) & mask;
    while (true) {
      const uint32_t entry = slots_[slot];
      if (entry == 0) break;
      if (keys_[entry - 1] == key) {
        *inserted = false;
        return entry - 1;
      }
      slot = (slot + 1) & mask;
    }
    keys_.push_back(store(key));
    slots_[slot] = static_cast<uint32_t>(keys_.size());
    *inserted = true;
    return static_cast<uint32_t>(keys_.size() - 1);
  }
  size_t size() const { return keys_.size(); }
  void Clear() {
    keys_.clear();
    slots_.clear();
  }

 private:
  void Grow() {
    std::vector<uint32_t> slots(std::max<size_t>(1024, slots_.size() * 2), 0);
    const size_t mask = slots.size() - 1;
    for (size_t id = 0; id < keys_.size(); ++id) {
      size_t slot = static_cast<size_t>(HashKey(keys_[id])) & mask;
      while (slots[slot] != 0) slot = (slot + 1) & mask;
      slots[slot] = static_cast<uint32_t>(id + 1);
    }
    slots_.swap(slots);
  }
  std::vector<uint32_t> slots_;
  std::vector<Key> keys_;
};

}  // namespace ctlflow
