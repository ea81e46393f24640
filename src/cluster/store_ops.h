// Store ops: committed Datonow store mutations as they travel through Redis (docs/cluster.md,
// "The Datonow store"): the commit script appends each batch to the `P dn:log` list, and the
// other nodes replay it into their replicas. Binary:
//
//   per op:  kind(1)  'p' put / 'd' delete
//            key      u32 length + bytes
//            value    u32 length + bytes (puts only)
//
// Lengths are little-endian. Decode checks every length against what is left and refuses any
// other kind; a refused batch makes the node reload the whole store (it came from another
// version of ringcast, or Redis holds something else under the key).
// Thread rules: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringcast::cluster {

struct StoreOp {
  bool put = false;
  std::string key;
  std::string value;  // puts only
};

void AppendStoreOp(const StoreOp& op, std::string* out);
std::string EncodeStoreOps(const std::vector<StoreOp>& ops);
// Appends the batch's ops to *ops; false (and *ops as far as it got) when `bytes` is not one.
bool DecodeStoreOps(std::string_view bytes, std::vector<StoreOp>* ops);

}  // namespace ringcast::cluster
