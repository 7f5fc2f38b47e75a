// A deterministic generator of NYC yellow-taxi trip records with the 18
// columns of the TLC's published files, for the seed's example stream.
// The same row count always gives the same bytes.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "common/status.h"

namespace ctlflow {

// The header: VendorID, tpep_pickup_datetime, ... congestion_surcharge.
std::string TaxiCsvHeader();

// Writes a header and `rows` records. Every 50th record repeats the one
// before it, as real feeds do, so "distinct trips" differs from row count.
// Three deliberately bad lines follow records 7, 42 and 99 (when there are
// that many): a distance that is not a number, a line with 17 fields, and a
// missing VendorID; an ingest must reject them, not load or drop them.
void WriteTaxiCsv(std::ostream& out, int64_t rows);

// How many bad lines WriteTaxiCsv writes for `rows` records.
int64_t TaxiCsvBadLines(int64_t rows);

}  // namespace ctlflow
