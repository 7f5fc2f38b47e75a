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
void WriteTaxiCsv(std::ostream& out, int64_t rows);

}  // namespace ctlflow
