// Response writing (contract in response.h). Builds into the caller's string with one reserve;
// the JSON error body goes through util::JsonObject so escaping matches the rest of the server.

#include "http/response.h"

#include "util/json_writer.h"
#include "util/log.h"

namespace ringcast::http {

namespace {

struct Reason {
  int status;
  std::string_view phrase;
};

// RFC 9110 section 15, plus 426 and 429 (RFC 6585).
constexpr Reason kReasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

}  // namespace

std::string_view ReasonPhrase(int status) {
  for (const Reason& r : kReasons) {
    if (r.status == status) return r.phrase;
  }
  return {};
}

void AppendResponse(std::string* out, int status, std::string_view content_type,
                    std::string_view body, bool keep_alive, std::string_view extra_headers) {
  RC_CHECK(status >= 100 && status <= 999);
  // RFC 9110 section 8.6: no Content-Length (and so no body) in 1xx and 204 responses.
  const bool no_length = status < 200 || status == 204;
  RC_CHECK(!no_length || body.empty());
  const std::string_view reason = ReasonPhrase(status);
  out->reserve(out->size() + 96 + reason.size() + content_type.size() + extra_headers.size() +
               body.size());
  out->append("HTTP/1.1 ");
  util::AppendInt(out, status);
  out->push_back(' ');
  out->append(reason);
  out->append("\r\n");
  if (!content_type.empty()) {
    out->append("Content-Type: ");
    out->append(content_type);
    out->append("\r\n");
  }
  if (!no_length) {
    out->append("Content-Length: ");
    util::AppendUint(out, body.size());
    out->append("\r\n");
  }
  out->append(keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  out->append(extra_headers);
  out->append("\r\n");
  out->append(body);
}

void AppendJsonError(std::string* out, int status, std::string_view message, bool keep_alive) {
  std::string body;
  body.reserve(32 + message.size());
  util::JsonObject(&body).Str("error", message).Int("code", status).Close();
  AppendResponse(out, status, "application/json", body, keep_alive);
}

}  // namespace ringcast::http
