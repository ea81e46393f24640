// HttpResponseReader: the bench's name for http::ResponseReader (src/http/response_reader.h),
// which moved to src/http so that the webhook client shares it. See that file for the contract.
#pragma once

#include "http/response_reader.h"

namespace ringcast::bench {

using HttpResponseReader = http::ResponseReader;

}  // namespace ringcast::bench
