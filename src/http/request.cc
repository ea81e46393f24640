// RequestHead lookups and method names. Linear scans over at most kMaxHeaders headers: a
// request has a dozen, so a scan beats building any index. Pure, any thread.

#include "http/request.h"

#include "http/syntax.h"

namespace ringcast::http {

Method ParseMethod(std::string_view name) {
  switch (name.size()) {
    case 3:
      if (name == "GET") return Method::kGet;
      if (name == "PUT") return Method::kPut;
      break;
    case 4:
      if (name == "HEAD") return Method::kHead;
      if (name == "POST") return Method::kPost;
      break;
    case 5:
      if (name == "PATCH") return Method::kPatch;
      break;
    case 6:
      if (name == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (name == "OPTIONS") return Method::kOptions;
      break;
    default:
      break;
  }
  return Method::kOther;
}

std::string_view RequestHead::Get(std::string_view name) const {
  for (const Header& h : header_list()) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

bool RequestHead::Has(std::string_view name) const {
  for (const Header& h : header_list()) {
    if (EqualsIgnoreCase(h.name, name)) return true;
  }
  return false;
}

bool RequestHead::HasToken(std::string_view header, std::string_view token) const {
  for (const Header& h : header_list()) {
    if (!EqualsIgnoreCase(h.name, header)) continue;
    bool found = false;
    ForEachListElement(h.value, [&](std::string_view element) {
      if (EqualsIgnoreCase(element, token)) found = true;
    });
    if (found) return true;
  }
  return false;
}

}  // namespace ringcast::http
