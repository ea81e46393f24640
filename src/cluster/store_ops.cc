// Store ops; see store_ops.h for the format.
#include "cluster/store_ops.h"

#include <cstdint>

namespace ringcast::cluster {
namespace {

void PutU32(std::string* out, size_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetBytes(std::string_view* in, std::string* out) {
  if (in->size() < 4) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= uint32_t{static_cast<uint8_t>((*in)[i])} << (8 * i);
  in->remove_prefix(4);
  if (in->size() < n) return false;
  out->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

}  // namespace

void AppendStoreOp(const StoreOp& op, std::string* out) {
  out->push_back(op.put ? 'p' : 'd');
  PutU32(out, op.key.size());
  out->append(op.key);
  if (!op.put) return;
  PutU32(out, op.value.size());
  out->append(op.value);
}

std::string EncodeStoreOps(const std::vector<StoreOp>& ops) {
  std::string out;
  for (const StoreOp& op : ops) AppendStoreOp(op, &out);
  return out;
}

bool DecodeStoreOps(std::string_view bytes, std::vector<StoreOp>* ops) {
  while (!bytes.empty()) {
    StoreOp op;
    const char kind = bytes[0];
    if (kind != 'p' && kind != 'd') return false;
    bytes.remove_prefix(1);
    op.put = kind == 'p';
    if (!GetBytes(&bytes, &op.key)) return false;
    if (op.put && !GetBytes(&bytes, &op.value)) return false;
    ops->push_back(std::move(op));
  }
  return true;
}

}  // namespace ringcast::cluster
