// Counting replacements of the global allocation functions (see alloc_counter.h). Every other
// form of operator new/delete (sized, nothrow, array) forwards to these in libstdc++.
#include "alloc_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace ringcast::runtime::testing {
namespace {
std::atomic<uint64_t> g_news{0};
std::atomic<uint64_t> g_deletes{0};
}  // namespace

uint64_t DeleteCount() { return g_deletes.load(); }
uint64_t NewCount() { return g_news.load(); }

}  // namespace ringcast::runtime::testing

void* operator new(std::size_t size) {
  ringcast::runtime::testing::g_news.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) std::abort();  // -fno-exceptions: no std::bad_alloc
  return p;
}

void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  ringcast::runtime::testing::g_deletes.fetch_add(1, std::memory_order_relaxed);
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
