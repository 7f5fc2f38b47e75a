// Crontab fields in words, for people: "every day at 00:00",
// "every hour at :15", "at 06:30 on Mon-Fri". Falls back to the fields
// themselves ("cron 0 */4 1 * *") when there is no short phrase.
#pragma once

#include <string>

#include "cron/cron.h"

namespace ctlflow {

std::string DescribeCron(const CronFields& fields);

}  // namespace ctlflow
