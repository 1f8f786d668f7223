// Every CSV input through its real reader: the first byte picks group labels (anomaly_label.csv),
// template vectors (vectors:FILE), or the raw reader with and without a header row.
#include <cstdint>
#include <stdexcept>

#include "FuzzUtil.h"
#include "mlad/embed/VectorFileEmbedder.h"
#include "mlad/io/Csv.h"
#include "mlad/io/Labels.h"

using namespace mlad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    fuzz::MemFile file(data + 1, size - 1);
    try {
        switch (data[0] % 5) {
            case 0:
                readGroupLabels(file.path());
                break;
            case 1:
                readGroupLabels(file.path(), OtherLabelValues::Anomalous);
                break;
            case 2: {
                auto e = embed::VectorFileEmbedder::loadCsv(file.path());
                e->embed({"a", "<*> b", ""});
                break;
            }
            default: {
                CsvReader::Options opt;
                opt.header = data[0] % 5 == 3;
                opt.maxLineBytes = 1 << 16;
                opt.maxRecordBytes = 1 << 18;
                CsvReader csv(file.path(), opt);
                while (csv.next())
                    for (size_t i = 0; i < csv.size(); ++i) (void)csv.at(i);
            }
        }
    } catch (const std::exception&) {
    }
    return 0;
}
