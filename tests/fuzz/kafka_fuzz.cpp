// libFuzzer target: the Kafka handler (framing, headers, Produce/Fetch/Metadata parsers,
// record batches, topic ids) on arbitrary byte streams, and the detector on their start.
// Seeds: the captured frames in tests/data/corpus/kafka/frames (concatenate a scenario's
// frames after a mode byte, e.g. `(printf '\x00'; cat frames/kcat_consume/*) > seed`).
#include "fuzz_driver.h"
#include "protocols/kafka/conn_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::kafka::protocol_def();
    obi::fuzz::drive(def, data, size);
    return 0;
}
