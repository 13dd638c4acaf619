-- lock_claimable_batches --
-- Batches that have queued jobs, oldest first, locked for this transaction so that only one runner
-- at a time counts and claims a batch's jobs: this is what makes max_workers hold across runners.
-- A batch another runner is claiming from right now is skipped, not waited for.
SELECT id, max_workers
FROM batches b
WHERE status <> 'completed'
  AND EXISTS (SELECT 1 FROM jobs j WHERE j.batch_id = b.id AND j.state = 'queued')
ORDER BY created_at
LIMIT :batch_limit
FOR UPDATE SKIP LOCKED;

-- count_running_jobs --
-- How many of a batch's jobs are running now, across all runners. Run after the batch row is
-- locked, in its own statement, so that it sees every claim committed before the lock was taken.
SELECT count(*) FROM jobs WHERE batch_id = :batch_id AND state = 'running';

-- claim_batch_jobs --
-- Claims up to :limit queued jobs of one batch for a runner. Returns the claimed jobs in upload order.
WITH claimed AS (
    UPDATE jobs
    SET state = 'running', attempts = attempts + 1, runner_id = :runner_id,
        started_at = clock_timestamp(), finished_at = NULL, error = NULL
    WHERE id IN (
        SELECT id FROM jobs
        WHERE batch_id = :batch_id AND state = 'queued'
        ORDER BY position
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, batch_id, filename, object_key, attempts, position
)
SELECT id, batch_id, filename, object_key, attempts FROM claimed ORDER BY position;

-- mark_batch_running --
-- The first claim of a batch's job moves the batch from queued to running.
UPDATE batches SET status = 'running' WHERE id = :batch_id AND status = 'queued';

-- finish_job --
-- Writes a job's final state. Only the runner that holds the job can finish it; returns the
-- batch id, or nothing if the job is no longer this runner's (given back or finished already).
UPDATE jobs
SET state = :state, finished_at = clock_timestamp(), processing_time = :processing_time, error = :error,
    document_type = :document_type, invoice_id = :invoice_id, document_id = :document_id,
    timings = CAST(:timings AS jsonb)
WHERE id = :job_id AND state = 'running' AND runner_id = :runner_id
RETURNING batch_id;

-- lock_batch --
-- Serialises the "was this the batch's last job?" check between runners finishing jobs at once.
SELECT id FROM batches WHERE id = :batch_id FOR UPDATE;

-- complete_batch_if_done --
-- Marks the batch completed once none of its jobs is queued or running. Returns the batch id if it did.
UPDATE batches
SET status = 'completed', finished_at = now()
WHERE id = :batch_id AND status <> 'completed'
  AND NOT EXISTS (
      SELECT 1 FROM jobs WHERE batch_id = :batch_id AND state IN ('queued', 'running')
  )
RETURNING id;

-- give_back_jobs --
-- A runner shutting down returns the jobs it could not finish in its grace period to the queue.
UPDATE jobs
SET state = 'queued', runner_id = NULL, started_at = NULL
WHERE runner_id = :runner_id AND state = 'running'
RETURNING id;

-- notify --
-- Wakes listeners on a channel (delivered when the transaction commits).
SELECT pg_notify(:channel, :payload);
