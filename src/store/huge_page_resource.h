// Memory for the store's live map: 2 MiB-aligned mappings advised as transparent huge pages.
//
// Owns: the mappings it hands out (each freed by deallocate or left to the process's end with
// the owner). Single-threaded (the control plane's Wal). A std::pmr pool sits on top of it and
// asks for chunks; chunks of at least kHugeMin bytes are mapped here, smaller requests go to
// operator new. Why: on this project's VMs the first touch of each fresh 4 KiB page costs
// microseconds (a fault, and the hypervisor's shadow page table), so building a million-key map
// at start-up spent most of its time faulting; a 2 MiB page is one fault for 512 of them
// (docs/benchmarks.md, "Store recovery"). Where THP is off the advice is ignored and the
// mappings behave as ordinary memory.
#pragma once

#include <cstddef>
#include <memory_resource>

namespace ringcast::store {

class HugePageResource final : public std::pmr::memory_resource {
 public:
  static constexpr size_t kHugePage = size_t{2} << 20;
  static constexpr size_t kHugeMin = size_t{1} << 20;

 private:
  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

}  // namespace ringcast::store
