#include "metrics/registry.h"

namespace ringcast::metrics {

std::string Registry::Render() const {
  std::string out;
  out.reserve(16384);
  TextWriter w(&out);
  for (const Collector* c : collectors_) c->Collect(w);
  return out;
}

}  // namespace ringcast::metrics
