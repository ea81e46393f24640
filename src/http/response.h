// HTTP/1.1 response writing: status line, framing headers and body appended to a string.
//
// Pure functions, any thread. They append to the caller's string (one growth at most per call)
// and never write anywhere else. Responses always carry an exact Content-Length (except 1xx and
// 204, which must not) so the connection can be reused; the Connection header states whether it
// will be. Callers pass extra headers as complete lines, each ending in CRLF; they are copied
// verbatim and must not repeat Content-Type, Content-Length or Connection.
#pragma once

#include <string>
#include <string_view>

namespace ringcast::http {

// The reason phrase for `status` ("Not Found"); empty for a status this table does not know,
// which still makes a valid status line.
std::string_view ReasonPhrase(int status);

// Appends a complete response: status line, Content-Type (when non-empty), Content-Length,
// Connection: keep-alive|close, extra_headers, the empty line and body.
void AppendResponse(std::string* out, int status, std::string_view content_type,
                    std::string_view body, bool keep_alive, std::string_view extra_headers = {});

// Appends an application/json response whose body is exactly
// {"error":"<message, JSON-escaped>","code":<status>}.
void AppendJsonError(std::string* out, int status, std::string_view message, bool keep_alive);

}  // namespace ringcast::http
