// Server frame encoding cost: EncodeHeader alone and AppendFrame into a reused string, for
// 128 B, 2 KiB and 64 KiB payloads (7-bit, 16-bit and 64-bit length forms). The fan-out path
// encodes each published message once, so this is per publish, not per subscriber.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "ws/frame_encoder.h"

namespace {

using ringcast::ws::AppendFrame;
using ringcast::ws::EncodeHeader;
using ringcast::ws::Opcode;

void BM_EncodeHeader(benchmark::State& state) {
  const auto len = static_cast<uint64_t>(state.range(0));
  uint8_t out[ringcast::ws::kMaxServerHeaderBytes];
  for (auto _ : state) {
    benchmark::DoNotOptimize(len);
    size_t n = EncodeHeader(out, Opcode::kText, len);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeHeader)->Arg(128)->Arg(2048)->Arg(65536);

void BM_AppendFrame(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'x');
  std::string out;
  out.reserve(payload.size() + 16);
  for (auto _ : state) {
    out.clear();
    AppendFrame(&out, Opcode::kText, payload);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}
BENCHMARK(BM_AppendFrame)->Arg(128)->Arg(2048)->Arg(65536);

// Into a fresh string each time: what a one-off encode with an allocation costs.
void BM_AppendFrameFreshString(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    std::string out;
    AppendFrame(&out, Opcode::kText, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(payload.size()));
}
BENCHMARK(BM_AppendFrameFreshString)->Arg(128)->Arg(2048)->Arg(65536);

}  // namespace
