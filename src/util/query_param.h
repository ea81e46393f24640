// QueryParam: one key/value pair of a URL query, both percent-decoded.
//
// Plain data. http::ParseQuery produces them and auth::VerifyPusherRequest signs them; src/http
// and src/auth are leaves that may not include each other, so the type they share lives here.
#pragma once

#include <string>

namespace ringcast::util {

struct QueryParam {
  std::string key;    // percent-decoded
  std::string value;  // percent-decoded
};

}  // namespace ringcast::util
