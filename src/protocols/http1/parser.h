// Umbrella header for the HTTP/1.x parsing layer: heads, body framing, chunked scanning,
// connection classification, Host splitting and query redaction.
#pragma once

#include "protocols/http1/body_framing.h"
#include "protocols/http1/chunked_scanner.h"
#include "protocols/http1/classify.h"
#include "protocols/http1/host_port.h"
#include "protocols/http1/parse_status.h"
#include "protocols/http1/query_redaction.h"
#include "protocols/http1/request_head.h"
#include "protocols/http1/response_head.h"
