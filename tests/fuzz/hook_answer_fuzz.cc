// libFuzzer target for webhooks::DecideHook (webhooks/hook_client.h): a Dialogue hook's answer,
// bytes from the backend. Input: byte 0 picks the status (200, 204, 302, 500, 0 with an error)
// and byte 1 whether the body was cut; the rest is the body. Checked: exactly one of failed,
// allowed and refused; a refusal has a message; a failure has one; a decision's user id, claims
// and data come only with an allow, claims and data are JSON of their own (claims an object);
// nothing is read past the body. Any violation traps.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "webhooks/hook_client.h"

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static constexpr int kStatus[] = {200, 204, 302, 500, 0};
  ringcast::webhooks::HookResponse r;
  r.status = kStatus[data[0] % 5];
  if (r.status == 0) r.error = "timed out";
  r.truncated = (data[1] & 1) != 0;
  r.body.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  ringcast::webhooks::HookDecision d = ringcast::webhooks::DecideHook(r);
  FUZZ_CHECK(!(d.failed && d.allowed));
  if (d.failed || !d.allowed) FUZZ_CHECK(!d.message.empty());
  if (!d.allowed) FUZZ_CHECK(d.user_id.empty() && d.claims.empty() && !d.has_data);
  if (r.status < 200 || r.status >= 300 || r.truncated) FUZZ_CHECK(d.failed);
  simdjson::dom::parser parser;
  if (!d.claims.empty()) {
    simdjson::dom::object obj;
    FUZZ_CHECK(parser.parse(d.claims).get_object().get(obj) == simdjson::SUCCESS);
  }
  if (d.has_data) {
    simdjson::dom::element e;
    FUZZ_CHECK(parser.parse(d.data).get(e) == simdjson::SUCCESS);
  }
  return 0;
}
