-- runners_wanted --
-- The number of runner pods wanted now: KEDA's postgresql trigger (scaledobject.yaml) runs this
-- statement every polling interval and scales the invoice-processor-runner Deployment to its answer
-- (targetQueryValue "1": one pod per unit of the answer).
--
-- Work is counted per open batch as the job queue sees it: its jobs running now (batches.running_jobs,
-- kept exact by every claim, finish, retry, reap and cancel) plus its jobs ready to run now (state
-- 'queued' and run_after <= now()), capped at the batch's max_workers, since no more of its jobs can
-- run at once however many are queued. Jobs waiting on a future run_after (a retry's backoff) are not
-- work yet; completed and cancelled batches have none. The sum over batches, divided by the threads
-- of one runner and rounded up, is the answer: 0 when idle (KEDA scales to zero), at least 1 as soon
-- as one job is ready (activationTargetQueryValue "0").
--
-- Cheap at any size: only open batches are read (the batches_open partial index once the table is
-- large), and each one's ready jobs are counted in the jobs_claimable partial index (migration 0003,
-- the claim's own index) no further than the batch's free slots (the LIMIT), so a batch of 100,000
-- queued jobs costs at most max_workers index entries; finished jobs are never read. Only queued jobs
-- waiting on a future run_after are read past that, as the claim reads them.
--
-- :runner_threads is a placeholder for the RUNNER_THREADS of the runner Deployment. KEDA's trigger
-- takes a fixed query, so scaledobject.yaml carries this statement (everything below this header)
-- with the placeholder replaced by that number; change both together (tests/test_keda_query.py checks
-- that they agree).
WITH per_batch AS (
    SELECT LEAST(b.max_workers, b.running_jobs + ready.jobs) AS slots
    FROM batches b
    CROSS JOIN LATERAL (
        SELECT count(*) AS jobs
        FROM (
            SELECT 1
            FROM jobs j
            WHERE j.batch_id = b.id AND j.state = 'queued' AND j.run_after <= now()
            LIMIT GREATEST(b.max_workers - b.running_jobs, 0)
        ) ready_now
    ) ready
    WHERE b.status <> 'completed' AND b.cancelled_at IS NULL
)
SELECT CAST(ceil(coalesce(sum(slots), 0) / CAST(:runner_threads AS numeric)) AS integer) AS runners_wanted
FROM per_batch;
