-- Tier 3, the seed's Agg_ride.sql: distinct trips and the sum of their trip
-- distance by passenger_count, into the datamart table EDP.AGG_RIDE.
-- Idempotent: the data_dt partition is replaced. Portable: it runs unchanged
-- on a SQLite and a PostgreSQL warehouse (ctlflow example load --warehouse).
CREATE TABLE IF NOT EXISTS EDP.AGG_RIDE (
  data_dt             TEXT NOT NULL,
  passenger_count     INTEGER,
  trip_count          INTEGER NOT NULL,
  total_trip_distance DOUBLE PRECISION NOT NULL
);

DELETE FROM EDP.AGG_RIDE WHERE data_dt = :data_dt;

INSERT INTO EDP.AGG_RIDE (data_dt, passenger_count, trip_count, total_trip_distance)
SELECT :data_dt, passenger_count, count(*), round(sum(CAST(trip_distance AS NUMERIC)), 2)
FROM (SELECT DISTINCT VendorID, tpep_pickup_datetime, tpep_dropoff_datetime, passenger_count,
                      trip_distance, PULocationID, DOLocationID
      FROM EDP.PRCS_TEST_FRAMEWORK1
      WHERE data_dt = :data_dt) AS trips
GROUP BY passenger_count
ORDER BY passenger_count;

SELECT (SELECT count(*) FROM EDP.PRCS_TEST_FRAMEWORK1 WHERE data_dt = :data_dt) AS source_row,
       (SELECT count(*) FROM EDP.AGG_RIDE WHERE data_dt = :data_dt) AS target_row;
