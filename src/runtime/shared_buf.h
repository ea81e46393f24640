// SharedBuf: an immutable byte buffer with an atomic reference count, for memory that crosses
// threads (a publish encoded once on the control plane and handed to several shards).
//
// One allocation holds the header and the bytes. The creator fills mutable_data() before the
// buffer is published (a release store through an SPSC queue makes the bytes visible); after
// that nobody writes them. Reference counting crosses threads once per holder thread, never per
// subscriber: each shard keeps its own non-atomic count (net/local_frame.h) and returns its one
// shared reference when that count drops to zero. The last Release() frees the memory on the
// thread that released it (mimalloc returns it to the owning heap).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

namespace ringcast::runtime {

class SharedBuf {
 public:
  static SharedBuf* Create(size_t size, uint32_t refs) {
    void* mem = ::operator new(sizeof(SharedBuf) + size);
    return new (mem) SharedBuf(static_cast<uint32_t>(size), refs);
  }

  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  char* mutable_data() { return reinterpret_cast<char*>(this + 1); }
  uint32_t size() const { return size_; }

  void AddRefs(uint32_t n) { refs_.fetch_add(n, std::memory_order_relaxed); }

  void Release() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      this->~SharedBuf();
      ::operator delete(this);
    }
  }

  uint32_t refs_for_test() const { return refs_.load(std::memory_order_relaxed); }

 private:
  SharedBuf(uint32_t size, uint32_t refs) : refs_(refs), size_(size) {}
  std::atomic<uint32_t> refs_;
  uint32_t size_;
};

}  // namespace ringcast::runtime
