#include "examples/taxi_data.h"

#include <cstdio>

namespace ctlflow {

namespace {

// SplitMix64: tiny, well distributed, and identical on every platform
// (std::uniform_*_distribution is not).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t Between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

std::string Money(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

// A time on 2024-11-16; past midnight it rolls over into the 17th.
std::string Clock(int64_t seconds_of_day) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "2024-11-%02lld %02lld:%02lld:%02lld",
                static_cast<long long>(16 + seconds_of_day / 86400),
                static_cast<long long>(seconds_of_day / 3600 % 24),
                static_cast<long long>(seconds_of_day / 60 % 60),
                static_cast<long long>(seconds_of_day % 60));
  return buf;
}

}  // namespace

std::string TaxiCsvHeader() {
  return "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,"
         "RatecodeID,store_and_fwd_flag,PULocationID,DOLocationID,payment_type,fare_amount,extra,"
         "mta_tax,tip_amount,tolls_amount,improvement_surcharge,total_amount,congestion_surcharge";
}

void WriteTaxiCsv(std::ostream& out, int64_t rows) {
  Random rng(20241116);
  out << TaxiCsvHeader() << "\n";
  std::string previous;
  for (int64_t i = 0; i < rows; ++i) {
    if (i > 0 && i % 50 == 0 && !previous.empty()) {
      out << previous;
      continue;
    }
    int64_t vendor = rng.Between(1, 2);
    int64_t pickup = (i * 86400) / (rows > 0 ? rows : 1) + rng.Between(0, 59);
    int64_t minutes = rng.Between(3, 55);
    int64_t passengers = rng.Between(1, 6);
    int64_t distance_hundredths = rng.Between(30, 2500);
    int64_t fare = 300 + distance_hundredths * 2 + minutes * 50;
    int64_t extra = rng.Between(0, 2) * 50;
    int64_t tip = rng.Between(0, 4) == 0 ? 0 : fare * rng.Between(10, 25) / 100;
    int64_t tolls = rng.Between(0, 9) == 0 ? 694 : 0;
    int64_t congestion = rng.Between(0, 3) == 0 ? 0 : 250;
    int64_t total = fare + extra + 50 + tip + tolls + 100 + congestion;
    char line[512];
    std::snprintf(line, sizeof(line), "%lld,%s,%s,%lld,%lld.%02lld,%lld,%s,%lld,%lld,%lld,%s,%s,0.50,%s,%s,1.00,%s,%s\n",
                  static_cast<long long>(vendor), Clock(pickup).c_str(),
                  Clock(pickup + minutes * 60).c_str(), static_cast<long long>(passengers),
                  static_cast<long long>(distance_hundredths / 100),
                  static_cast<long long>(distance_hundredths % 100),
                  static_cast<long long>(rng.Between(0, 19) == 0 ? 2 : 1),
                  rng.Between(0, 99) == 0 ? "Y" : "N", static_cast<long long>(rng.Between(1, 265)),
                  static_cast<long long>(rng.Between(1, 265)),
                  static_cast<long long>(tip > 0 ? 1 : rng.Between(1, 4)), Money(fare).c_str(),
                  Money(extra).c_str(), Money(tip).c_str(), Money(tolls).c_str(),
                  Money(total).c_str(), Money(congestion).c_str());
    previous = line;
    out << previous;
    if (i == 6) {
      out << "1,2024-11-16 00:10:00,2024-11-16 00:20:00,1,n/a,1,N,10,20,1,9.50,0.50,0.50,0,0,1.00,11.50,2.50\n";
    } else if (i == 41) {
      out << "2,2024-11-16 01:00:00,2024-11-16 01:12:00,2,3.10,1,N,30,40,1,14.00,0.50,0.50,2.00,0,1.00,18.00\n";
    } else if (i == 98) {
      out << ",2024-11-16 02:00:00,2024-11-16 02:30:00,1,8.20,1,N,50,60,2,30.00,0,0.50,0,0,1.00,31.50,0\n";
    }
  }
}

int64_t TaxiCsvBadLines(int64_t rows) { return (rows > 6) + (rows > 41) + (rows > 98); }

}  // namespace ctlflow
