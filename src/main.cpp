// ringcast: realtime fan-out server. See README.md and docs/operations.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config/config.h"
#include "ringcast/version.h"
#include "server/server.h"
#include "util/log.h"

#ifdef RINGCAST_MIMALLOC
#include <mimalloc.h>
#endif

namespace {

// Which allocator serves malloc/new in this process (mimalloc is linked to replace it).
void DescribeAllocator(char* out, size_t size) {
#ifdef RINGCAST_MIMALLOC
  void* probe = std::calloc(1, 64);
  bool overridden = mi_is_in_heap_region(probe);
  std::free(probe);
  std::snprintf(out, size, "mimalloc %d.%d.%d%s", mi_version() / 100, mi_version() / 10 % 10,
                mi_version() % 10, overridden ? "" : " (linked but NOT serving malloc)");
#else
  std::snprintf(out, size, "system malloc");
#endif
}

}  // namespace

int main(int argc, char** argv) {
  char allocator[96];
  DescribeAllocator(allocator, sizeof allocator);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("ringcast %s (allocator: %s)\n", RINGCAST_VERSION_STRING, allocator);
      return 0;
    }
  }
  ringcast::config::ServerConfig config;
  switch (ringcast::config::LoadConfig(argc, argv, environ, &config)) {
    case ringcast::config::ParseOutcome::kExitOk:
      return 0;
    case ringcast::config::ParseOutcome::kExitError:
      return 2;
    case ringcast::config::ParseOutcome::kRun:
      break;
  }
  ringcast::util::LogFormat format;
  if (ringcast::util::ParseLogFormat(config.log_format.c_str(), &format)) {
    ringcast::util::SetLogFormat(format);
  }
  RC_INFO("allocator: %s", allocator);
  return ringcast::server::RunServer(config);
}
