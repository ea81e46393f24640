// libFuzzer target for what a node reads from Redis: RESP replies (hiredis' reader through
// cluster::RespReader) and, in each string reply, the inter-node envelope
// (cluster::DecodeEnvelope, and a presence reply's rows) and the Datonow store's batches
// (cluster::DecodeStoreOps).
//
// The first input byte picks where the rest is split into two feeds. Traps on: a split that
// changes the replies (or the failure) the reader gives, and an envelope or batch that decodes
// but does not re-encode to the same bytes (the encoder and decoder agree on everything
// accepted).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/envelope.h"
#include "cluster/resp.h"
#include "cluster/store_ops.h"

using ringcast::cluster::DecodeEnvelope;
using ringcast::cluster::EncodeEnvelope;
using ringcast::cluster::EnvelopeView;
using ringcast::cluster::RespReader;
using ringcast::cluster::RespValue;
using ringcast::cluster::DecodeStoreOps;
using ringcast::cluster::EncodeStoreOps;
using ringcast::cluster::StoreOp;

namespace {

void Flatten(const RespValue& v, std::string* out) {
  out->push_back(static_cast<char>(v.type));
  out->append(std::to_string(v.integer)).push_back('|');
  out->append(std::to_string(v.str.size())).push_back('|');
  out->append(v.str);
  out->append(std::to_string(v.elements.size())).push_back('|');
  for (const RespValue& e : v.elements) Flatten(e, out);
}

void CheckEnvelopes(const RespValue& v) {
  if (v.type == RespValue::Type::kString) {
    EnvelopeView e;
    if (DecodeEnvelope(v.str, 1 << 20, &e)) {
      std::string again;
      if (!EncodeEnvelope(e, &again) || again != v.str) std::abort();
      // A presence reply's rows: read whole, they are written back the same.
      std::vector<std::pair<std::string, std::string>> rows;
      if (e.kind == ringcast::cluster::kEnvelopePresenceReply &&
          ringcast::cluster::ReadPresenceRows(e.data, &rows)) {
        std::string data;
        for (const auto& [id, identity] : rows) {
          if (!ringcast::cluster::AppendPresenceRow(&data, id, identity)) std::abort();
        }
        if (data != e.data) std::abort();
      }
    }
    std::vector<StoreOp> ops;
    if (DecodeStoreOps(v.str, &ops) && EncodeStoreOps(ops) != v.str) std::abort();
  }
  for (const RespValue& x : v.elements) CheckEnvelopes(x);
}

// All replies of `in` fed in two parts at `split`, flattened; "!" at the end when it failed.
std::string ReadAll(std::string_view in, size_t split) {
  RespReader r(1 << 16);
  std::string out;
  RespValue v;
  bool ok = r.Feed(in.substr(0, split));
  while (ok && r.Next(&v)) Flatten(v, &out);
  ok = ok && !r.failed() && r.Feed(in.substr(split));
  while (ok && r.Next(&v)) {
    CheckEnvelopes(v);
    Flatten(v, &out);
  }
  if (!ok || r.failed()) out.push_back('!');
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = data[0] % (in.size() + 1);
  const std::string whole = ReadAll(in, in.size());
  const std::string parts = ReadAll(in, split);
  // A failure may be noticed at a different reply; everything before it must agree.
  const bool failed = !whole.empty() && whole.back() == '!';
  if (!failed && whole != parts) std::abort();
  return 0;
}
