// Test aid: the runtime test binaries replace the global operator new/delete with counting
// versions (alloc_counter.cc), so a test can prove that memory was freed, and freed once.
#pragma once

#include <cstdint>

namespace ringcast::runtime::testing {

// Calls of the global operator delete with a non-null pointer since the process started.
uint64_t DeleteCount();
uint64_t NewCount();

}  // namespace ringcast::runtime::testing
