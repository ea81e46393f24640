// Huge-page mappings for large chunks; see huge_page_resource.h for the contract.
#include "store/huge_page_resource.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>

namespace ringcast::store {
namespace {

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

void* HugePageResource::do_allocate(size_t bytes, size_t alignment) {
  if (bytes < kHugeMin || alignment > kHugePage) {
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  // Map one huge page more than needed and trim, so the start is 2 MiB-aligned and every
  // page of the chunk can be a huge one.
  const size_t size = RoundUp(bytes, kHugePage);
  void* m = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    // Memory exhausted: the same outcome as operator new failing (the build has no exceptions).
    std::abort();
  }
  auto start = reinterpret_cast<uintptr_t>(m);
  const uintptr_t aligned = RoundUp(start, kHugePage);
  if (aligned > start) ::munmap(m, aligned - start);
  const uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  void* p = reinterpret_cast<void*>(aligned);
  // Only the whole 2 MiB pages the request covers: a pool puts its bookkeeping after the
  // blocks, and a huge page there would zero 2 MiB to hold a few KiB.
  const size_t whole = bytes / kHugePage * kHugePage;
  if (whole > 0) ::madvise(p, whole, MADV_HUGEPAGE);
  return p;
}

void HugePageResource::do_deallocate(void* p, size_t bytes, size_t alignment) {
  if (bytes < kHugeMin || alignment > kHugePage) {
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
    return;
  }
  ::munmap(p, RoundUp(bytes, kHugePage));
}

}  // namespace ringcast::store
