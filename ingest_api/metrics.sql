-- job_states --
-- Jobs by state; a state no job is in has no row.
SELECT state, count(*) AS jobs FROM jobs GROUP BY state;

-- batch_statuses --
-- Batches by status; a status no batch is in has no row.
SELECT status, count(*) AS batches FROM batches GROUP BY status;

-- job_failures --
-- Failed jobs by why their last attempt ended ('unknown' for jobs failed before error_kind existed).
SELECT COALESCE(error_kind, 'unknown') AS kind, count(*) AS jobs FROM jobs WHERE state = 'failed' GROUP BY 1;

-- job_totals --
-- One row: retries (claims beyond each job's first), runners holding at least one unexpired lease, and
-- how long the longest-waiting ready job has been ready (0 if none is; a job in a retry's backoff is
-- not ready yet).
SELECT
    COALESCE(sum(attempts - 1) FILTER (WHERE attempts > 0), 0) AS retries,
    count(DISTINCT runner_id) FILTER (
        WHERE state = 'running' AND lease_expires_at > clock_timestamp()
    ) AS runners_active,
    COALESCE(
        CAST(EXTRACT(EPOCH FROM clock_timestamp() - min(run_after) FILTER (
            WHERE state = 'queued' AND run_after <= clock_timestamp()
        )) AS float8),
        0
    ) AS oldest_queued_age_s
FROM jobs;

-- claim_latency --
-- Seconds from a job being ready (run_after) to its claim (started_at), for the jobs claimed and not
-- put back in the queue since, counted by histogram bucket. bucket: how many bounds lie below the
-- value, i.e. the index of the first bucket that holds it (Prometheus' le includes its bound);
-- :bucket_count for a value above all bounds. width_bucket(-seconds, :negated_bounds), with the bounds
-- negated in ascending order, counts the bounds >= seconds. (width_bucket(seconds, bounds) counts the
-- bounds <= seconds: a value equal to a bound would land one bucket too high.)
WITH samples AS (
    SELECT GREATEST(CAST(EXTRACT(EPOCH FROM started_at - run_after) AS float8), 0) AS seconds
    FROM jobs
    WHERE started_at IS NOT NULL AND state <> 'queued'
)
SELECT :bucket_count - width_bucket(-seconds, CAST(:negated_bounds AS float8[])) AS bucket,
       count(*) AS observations,
       sum(seconds) AS seconds
FROM samples
GROUP BY 1;

-- stage_seconds --
-- Seconds per pipeline stage from each job's timings ({"read": 0.01, "ocr": 2.3, ..., "total": 2.4}),
-- counted by stage and histogram bucket, as claim_latency does.
WITH samples AS (
    SELECT t.key AS stage, CAST(t.value AS float8) AS seconds
    FROM jobs j CROSS JOIN LATERAL jsonb_each(j.timings) AS t
    WHERE jsonb_typeof(j.timings) = 'object' AND jsonb_typeof(t.value) = 'number'
)
SELECT stage,
       :bucket_count - width_bucket(-seconds, CAST(:negated_bounds AS float8[])) AS bucket,
       count(*) AS observations,
       sum(seconds) AS seconds
FROM samples
GROUP BY 1, 2;
