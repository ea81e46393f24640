// The Datonow store's batches (cluster/store_ops.h): round trip, and every malformed input refused.
#include "cluster/store_ops.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ringcast::cluster {
namespace {

TEST(StoreOps, RoundTrip) {
  const std::vector<StoreOp> ops = {{true, std::string("m1\0x", 4), "{\"a\":\"\n\"}"},
                                    {false, "t1", ""},
                                    {true, "", ""},
                                    {true, "k", std::string(70000, 'v')}};
  const std::string bytes = EncodeStoreOps(ops);
  std::vector<StoreOp> back;
  ASSERT_TRUE(DecodeStoreOps(bytes, &back));
  ASSERT_EQ(back.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(back[i].put, ops[i].put);
    EXPECT_EQ(back[i].key, ops[i].key);
    EXPECT_EQ(back[i].value, ops[i].value);
  }
  back.clear();
  ASSERT_TRUE(DecodeStoreOps("", &back));
  EXPECT_TRUE(back.empty());
}

TEST(StoreOps, MalformedIsRefused) {
  const std::string good = EncodeStoreOps({{true, "key", "value"}, {false, "gone", ""}});
  std::vector<StoreOp> ops;
  // Every proper prefix that does not end on an op's boundary is torn.
  const size_t first = EncodeStoreOps({{true, "key", "value"}}).size();
  for (size_t n = 1; n < good.size(); ++n) {
    ops.clear();
    EXPECT_EQ(DecodeStoreOps(good.substr(0, n), &ops), n == first) << n;
  }
  ops.clear();
  EXPECT_FALSE(DecodeStoreOps("x" + good.substr(1), &ops));  // another kind
  std::string huge = good;
  huge[1] = '\xff';  // a key length past the end
  huge[4] = '\x7f';
  ops.clear();
  EXPECT_FALSE(DecodeStoreOps(huge, &ops));
}

}  // namespace
}  // namespace ringcast::cluster
