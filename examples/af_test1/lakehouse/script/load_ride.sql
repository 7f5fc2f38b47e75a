-- Tier 2: staging.PRCS_TEST_FRAMEWORK1 -> EDP.PRCS_TEST_FRAMEWORK1, typed.
-- Idempotent: the data_dt partition is replaced, never appended twice.
-- :data_dt and :run_id are bound by ctlflow, never spliced into the text.
CREATE TABLE IF NOT EXISTS EDP.PRCS_TEST_FRAMEWORK1 (
  data_dt               TEXT NOT NULL,
  VendorID              INTEGER,
  tpep_pickup_datetime  TEXT,
  tpep_dropoff_datetime TEXT,
  passenger_count       INTEGER,
  trip_distance         REAL,
  RatecodeID            INTEGER,
  store_and_fwd_flag    TEXT,
  PULocationID          INTEGER,
  DOLocationID          INTEGER,
  payment_type          INTEGER,
  fare_amount           REAL,
  extra                 REAL,
  mta_tax               REAL,
  tip_amount            REAL,
  tolls_amount          REAL,
  improvement_surcharge REAL,
  total_amount          REAL,
  congestion_surcharge  REAL,
  run_id                INTEGER
);

DELETE FROM EDP.PRCS_TEST_FRAMEWORK1 WHERE data_dt = :data_dt;

INSERT INTO EDP.PRCS_TEST_FRAMEWORK1
SELECT :data_dt,
       CAST(NULLIF(VendorID, '') AS INTEGER),
       NULLIF(tpep_pickup_datetime, ''),
       NULLIF(tpep_dropoff_datetime, ''),
       CAST(NULLIF(passenger_count, '') AS INTEGER),
       CAST(NULLIF(trip_distance, '') AS REAL),
       CAST(NULLIF(RatecodeID, '') AS INTEGER),
       NULLIF(store_and_fwd_flag, ''),
       CAST(NULLIF(PULocationID, '') AS INTEGER),
       CAST(NULLIF(DOLocationID, '') AS INTEGER),
       CAST(NULLIF(payment_type, '') AS INTEGER),
       CAST(NULLIF(fare_amount, '') AS REAL),
       CAST(NULLIF(extra, '') AS REAL),
       CAST(NULLIF(mta_tax, '') AS REAL),
       CAST(NULLIF(tip_amount, '') AS REAL),
       CAST(NULLIF(tolls_amount, '') AS REAL),
       CAST(NULLIF(improvement_surcharge, '') AS REAL),
       CAST(NULLIF(total_amount, '') AS REAL),
       CAST(NULLIF(congestion_surcharge, '') AS REAL),
       :run_id
FROM staging.PRCS_TEST_FRAMEWORK1;

-- Row counts for cntl_cfg_log.source_row / target_row.
SELECT (SELECT count(*) FROM staging.PRCS_TEST_FRAMEWORK1) AS source_row,
       (SELECT count(*) FROM EDP.PRCS_TEST_FRAMEWORK1 WHERE data_dt = :data_dt) AS target_row;
