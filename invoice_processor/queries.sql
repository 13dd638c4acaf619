-- claim_jobs --
-- Claims up to :limit jobs for a runner, in one statement.
--
-- open_batches: batches with room under their max_workers and a job ready to run, oldest first,
-- locked for this transaction. A batch another runner is claiming from (or finishing a job of) right
-- now is skipped, not waited for. FOR UPDATE re-reads running_jobs from the newest committed row,
-- so the room is exact even though the rest of the statement reads an older snapshot: this is what
-- makes max_workers hold across runners.
-- candidates: each open batch's next ready jobs, no more than its room, numbered per batch (turn).
-- picked: the first :limit candidates by turn, then batch age: the first job of every open batch
-- comes before the second job of any, so a one-file batch submitted behind a 10,000-file batch
-- starts at the next free slot.
-- locked: only the picked rows are locked, skipping any that a cancellation holds right now.
-- Each step is MATERIALIZED, so each LIMIT is applied once and the statement locks at most :limit
-- jobs (a LIMIT inside an IN-subquery may be re-run by the planner and lock more rows than asked).
-- One statement, one transaction: the queue runs it in autocommit, one round trip a claim.
WITH open_batches AS MATERIALIZED (
    SELECT b.id, b.created_at, b.max_workers - b.running_jobs AS room
    FROM batches b
    WHERE b.status <> 'completed'
      AND b.running_jobs < b.max_workers
      AND EXISTS (
          SELECT 1 FROM jobs j
          WHERE j.batch_id = b.id AND j.state = 'queued' AND j.run_after <= clock_timestamp()
      )
    ORDER BY b.created_at
    LIMIT :batch_limit
    FOR UPDATE OF b SKIP LOCKED
),
candidates AS MATERIALIZED (
    SELECT c.id, c.position, ob.id AS batch_id, ob.created_at,
           row_number() OVER (PARTITION BY ob.id ORDER BY c.position) AS turn
    FROM open_batches ob
    CROSS JOIN LATERAL (
        SELECT j.id, j.position
        FROM jobs j
        WHERE j.batch_id = ob.id AND j.state = 'queued' AND j.run_after <= clock_timestamp()
        ORDER BY j.position
        LIMIT LEAST(ob.room, :limit)
    ) c
),
picked AS MATERIALIZED (
    SELECT id, row_number() OVER (ORDER BY turn, created_at, position) AS claim_order
    FROM candidates
    ORDER BY turn, created_at, position
    LIMIT :limit
),
locked AS MATERIALIZED (
    SELECT j.id, p.claim_order
    FROM picked p
    JOIN jobs j ON j.id = p.id
    WHERE j.state = 'queued'
    FOR UPDATE OF j SKIP LOCKED
),
claimed AS (
    UPDATE jobs j
    SET state = 'running', attempts = j.attempts + 1, runner_id = :runner_id,
        started_at = clock_timestamp(), finished_at = NULL, error = NULL, error_kind = NULL,
        heartbeat_at = clock_timestamp(),
        lease_expires_at = clock_timestamp() + make_interval(secs => :lease_s)
    FROM locked p
    WHERE j.id = p.id
    RETURNING j.id, j.batch_id, j.filename, j.object_key, j.attempts, j.max_attempts, j.tenant_id,
              j.allow_duplicates, j.use_embedded_xml, j.failed_attempts, p.claim_order
),
taken AS (
    SELECT batch_id, count(*) AS jobs FROM claimed GROUP BY batch_id
),
counted AS (
    UPDATE batches b
    SET running_jobs = b.running_jobs + t.jobs, status = 'running'
    FROM taken t
    WHERE b.id = t.batch_id
),
-- Is there more to claim? Yes if a batch this claim locked has room left and a job left: one of its candidates
-- not taken, or as many candidates as the claim could look at. Then runners that skipped the batches this
-- claim had locked should look again; otherwise a claim now would find nothing, and nobody is woken.
left_over AS (
    SELECT EXISTS (
        SELECT 1
        FROM open_batches ob
        JOIN (SELECT batch_id, count(*) AS jobs FROM candidates GROUP BY batch_id) c ON c.batch_id = ob.id
        LEFT JOIN taken t ON t.batch_id = ob.id
        WHERE coalesce(t.jobs, 0) < ob.room AND (coalesce(t.jobs, 0) < c.jobs OR c.jobs = LEAST(ob.room, :limit))
    ) AS more
)
SELECT c.id, c.batch_id, c.filename, c.object_key, c.attempts, c.max_attempts, c.tenant_id, c.allow_duplicates,
       c.use_embedded_xml, c.failed_attempts, l.more,
       -- Sent once per transaction however many rows ask (identical notifications are merged).
       CASE WHEN l.more THEN pg_notify('invoice_processor_jobs', 'more') END AS woke
FROM claimed c CROSS JOIN left_over l ORDER BY c.claim_order;

-- renew_leases --
-- The heartbeat: pushes the lease of the jobs this runner still holds (same attempt). Returns those;
-- a job missing from the answer was lost (lease expired and taken over) or cancelled.
-- The rows are locked in (batch, position) order first, as finish_jobs locks them: a heartbeat and a
-- group of this runner's jobs being recorded cannot deadlock.
WITH held AS MATERIALIZED (
    SELECT j.id
    FROM jobs j
    JOIN unnest(CAST(:job_ids AS uuid[]), CAST(:attempts AS int[])) AS held(id, attempt) ON j.id = held.id
    WHERE j.attempts = held.attempt AND j.runner_id = :runner_id AND j.state = 'running'
    ORDER BY j.batch_id, j.position
    FOR UPDATE OF j
)
UPDATE jobs j
SET lease_expires_at = clock_timestamp() + make_interval(secs => :lease_s), heartbeat_at = clock_timestamp()
FROM held
WHERE j.id = held.id
RETURNING j.id;

-- finish_jobs --
-- Writes the final states of one or more jobs (their outcomes as a JSON array) and frees their batch slots,
-- in one statement (one round trip). Fenced: only the runner that holds this attempt of a job can finish
-- it; a job no longer held (lease lost, cancelled) is left alone, and missing from the answer.
-- held: the jobs still held, locked in (batch, position) order, the order in which the heartbeat and a
-- cancellation lock them too, so that none of them can deadlock with another; once locked, a job cannot be
-- reaped (the reaper skips locked rows), cancelled or taken over before this transaction ends. Batch rows are
-- locked in id order, after the job rows, as every other statement that ends an attempt locks them.
-- Returns each touched batch with the ids of its jobs finished here and its running_jobs after the group.
-- With :wake_full, wakes runners for a batch that was at its max_workers (only then can one have been turned
-- away from it for want of a slot; waking every runner on every finish costs each of them a mostly empty
-- claim). A runner that claims in the same transaction leaves that to its claim, which wakes them only if it
-- left room and work in a batch.
-- Every statement that ends an attempt appends it to attempt_history (attempt_ended, migration 0009).
-- Its COMMIT waits for the WAL to reach the disk, like every other: a result the API has shown must not
-- vanish in a server crash and come back under other ids when the job runs again.
WITH outcome AS (
    SELECT *
    FROM jsonb_to_recordset(CAST(:outcomes AS jsonb)) AS o(
        job_id uuid, attempt int, state text, processing_time float8, error text, error_kind text,
        document_type text, invoice_id bigint, document_id bigint, timings jsonb, sha256 text,
        duplicate_of_invoice_id bigint, duplicate_of_document_id bigint, possible_duplicate_of_invoice_id bigint)
),
held AS MATERIALIZED (
    SELECT j.id
    FROM jobs j JOIN outcome o ON j.id = o.job_id
    WHERE j.attempts = o.attempt AND j.runner_id = :runner_id AND j.state = 'running'
    ORDER BY j.batch_id, j.position
    FOR UPDATE OF j
),
finished AS (
    UPDATE jobs j
    SET state = o.state, finished_at = clock_timestamp(), processing_time = o.processing_time, error = o.error,
        attempt_history = j.attempt_history || attempt_ended(
            j.attempts, j.runner_id, j.started_at, o.state, o.error_kind, o.error),
        error_kind = o.error_kind, document_type = o.document_type, invoice_id = o.invoice_id,
        document_id = o.document_id, timings = o.timings, lease_expires_at = NULL,
        sha256 = coalesce(o.sha256, j.sha256), duplicate_of_invoice_id = o.duplicate_of_invoice_id,
        duplicate_of_document_id = o.duplicate_of_document_id,
        possible_duplicate_of_invoice_id = o.possible_duplicate_of_invoice_id
    FROM outcome o JOIN held h ON h.id = o.job_id
    WHERE j.id = o.job_id AND j.state = 'running' AND j.runner_id = :runner_id AND j.attempts = o.attempt
    RETURNING j.id, j.batch_id
),
freed AS (
    SELECT batch_id, count(*) AS jobs, array_agg(id) AS job_ids FROM finished GROUP BY batch_id
),
locked AS MATERIALIZED (
    SELECT b.id FROM batches b JOIN freed f ON b.id = f.batch_id ORDER BY b.id FOR UPDATE OF b
),
released AS (
    UPDATE batches b SET running_jobs = b.running_jobs - f.jobs
    FROM freed f JOIN locked l ON l.id = f.batch_id
    WHERE b.id = f.batch_id
    RETURNING b.id, f.job_ids, b.running_jobs, b.running_jobs + f.jobs >= b.max_workers AS was_full
)
SELECT id, job_ids, running_jobs,
       CASE WHEN was_full AND :wake_full THEN pg_notify('invoice_processor_jobs', CAST(id AS text)) END AS woke
FROM released;

-- retry_job_later --
-- A transient failure: back to the queue, not before :delay_s, one failed attempt more. Fenced like finish_jobs.
UPDATE jobs
SET state = 'queued', run_after = clock_timestamp() + make_interval(secs => :delay_s),
    error = :error, error_kind = 'transient', processing_time = :processing_time, lease_expires_at = NULL,
    failed_attempts = failed_attempts + 1,
    attempt_history = attempt_history || attempt_ended(attempts, runner_id, started_at, 'retried', 'transient', :error)
WHERE id = :job_id AND state = 'running' AND runner_id = :runner_id AND attempts = :attempt
RETURNING batch_id;

-- release_slots --
-- A batch has :count fewer running jobs (retried, reaped, given back or cancelled ones; finish_jobs
-- does its own). Takes the batch's row lock, which serialises the "was this the batch's last job?"
-- check that follows.
UPDATE batches SET running_jobs = running_jobs - :count WHERE id = :batch_id;

-- complete_batch_if_done --
-- Marks the batch completed once none of its jobs is queued or running. Run in its own statement
-- after release_slots, so that it sees every job finished before the lock was taken. Running jobs
-- are counted by running_jobs (exact under the batch's lock, which release_slots holds); queued ones
-- are looked up in the jobs_claimable index. Both are O(1): a scan of the batch's jobs by state
-- would read every finished job, on every finish.
UPDATE batches
SET status = 'completed', finished_at = now()
WHERE id = :batch_id AND status <> 'completed' AND running_jobs = 0
  AND NOT EXISTS (
      SELECT 1 FROM jobs WHERE batch_id = :batch_id AND state = 'queued'
  )
RETURNING id;

-- reap_expired_leases --
-- Jobs whose runner stopped renewing their lease (killed, crashed, cut off): a failed attempt; back to
-- the queue, or failed once max_attempts attempts have failed (a file that kills its runner every
-- time must not loop forever). Any runner runs this; SKIP LOCKED lets several do it at once.
WITH expired AS MATERIALIZED (
    SELECT id FROM jobs
    WHERE state = 'running' AND lease_expires_at < clock_timestamp()
    ORDER BY lease_expires_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
),
ended AS (
    SELECT j.id, j.failed_attempts + 1 >= j.max_attempts AS last,
           CASE
               WHEN j.failed_attempts + 1 >= j.max_attempts THEN format(
                   'The runner processing this file stopped (killed, crashed or cut off), or could not reach the '
                   'database or the object store, on each of its %s attempts; it was not tried again. If the file '
                   'is very large or unusual, check that it opens, then upload it again.',
                   j.failed_attempts + 1)
               ELSE format('Runner %s stopped renewing its lease while processing this file; it was queued again.',
                           j.runner_id)
           END AS error
    FROM expired e JOIN jobs j ON j.id = e.id
)
UPDATE jobs j
SET state = CASE WHEN d.last THEN 'failed' ELSE 'queued' END,
    finished_at = CASE WHEN d.last THEN clock_timestamp() END,
    error = d.error, error_kind = 'lost', lease_expires_at = NULL, run_after = clock_timestamp(),
    failed_attempts = j.failed_attempts + 1,
    attempt_history = j.attempt_history || attempt_ended(j.attempts, j.runner_id, j.started_at, 'lost', 'lost', d.error)
FROM ended d
WHERE j.id = d.id
RETURNING j.id, j.batch_id, j.state, j.runner_id, j.attempts;

-- give_back_jobs --
-- A runner shutting down returns jobs to the queue: those it could not finish in its grace period, or
-- those it claimed just as it was told to stop (:job_ids; NULL for all its running jobs). Not a failed
-- attempt: the file was not at fault. runner_id stays: it names the runner that last claimed the job.
UPDATE jobs
SET state = 'queued', started_at = NULL, lease_expires_at = NULL, run_after = clock_timestamp(),
    attempt_history = attempt_history || attempt_ended(attempts, runner_id, started_at, 'given_back', NULL, NULL)
WHERE runner_id = :runner_id AND state = 'running'
  AND (CAST(:job_ids AS uuid[]) IS NULL OR id = ANY(CAST(:job_ids AS uuid[])))
RETURNING id, batch_id;

-- cancel_batch_jobs --
-- Cancels a batch's queued and running jobs. Locks the jobs before the batch row (as finish_jobs does),
-- so that it cannot deadlock with a runner finishing one of them. Returns each cancelled job with the
-- state it had.
WITH target AS MATERIALIZED (
    SELECT id, state FROM jobs
    WHERE batch_id = :batch_id AND state IN ('queued', 'running')
    ORDER BY position
    FOR UPDATE
)
UPDATE jobs j
SET state = 'cancelled', finished_at = clock_timestamp(), lease_expires_at = NULL, error_kind = 'cancelled',
    error = 'Cancelled on request before it finished; upload it again to process it.',
    attempt_history = CASE
        WHEN t.state = 'running' THEN j.attempt_history || attempt_ended(
            j.attempts, j.runner_id, j.started_at, 'cancelled', 'cancelled',
            'Cancelled on request before it finished; upload it again to process it.')
        ELSE j.attempt_history
    END
FROM target t
WHERE j.id = t.id
RETURNING j.id, t.state AS previous_state;

-- mark_batch_cancelled --
UPDATE batches SET cancelled_at = COALESCE(cancelled_at, now()) WHERE id = :batch_id;

-- expired_batches --
-- Completed batches older than the retention period, oldest first.
SELECT id FROM batches
WHERE status = 'completed' AND finished_at < now() - make_interval(secs => :retention_s)
ORDER BY finished_at
LIMIT :limit;

-- batch_object_keys --
SELECT object_key FROM jobs WHERE batch_id = :batch_id;

-- delete_batch --
-- Its jobs go with it (ON DELETE CASCADE); invoices and other documents stay.
DELETE FROM batches WHERE id = :batch_id;

-- notify --
-- Wakes listeners on a channel (delivered when the transaction commits).
SELECT pg_notify(:channel, :payload);

-- register_runner --
-- A runner says it started (or, after its row was removed as stale, that it still runs). Rows of
-- runners not seen for a day (killed, their machine gone) are removed on the way.
WITH stale AS (
    DELETE FROM runners WHERE last_seen_at < now() - interval '1 day'
)
INSERT INTO runners (id, hostname, pid, threads, vlm_mode, vlm_state, vlm_detail)
VALUES (:runner_id, :hostname, :pid, :threads, :vlm_mode, :vlm_state, :vlm_detail)
ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), vlm_state = EXCLUDED.vlm_state,
    vlm_detail = EXCLUDED.vlm_detail;

-- forget_runner --
-- A runner that stops removes its row.
DELETE FROM runners WHERE id = :runner_id;

-- live_runners --
-- The runners seen within :seen_s seconds, newest first.
SELECT id, hostname, threads, vlm_mode, vlm_state, vlm_detail, last_seen_at
FROM runners
WHERE last_seen_at > now() - make_interval(secs => :seen_s)
ORDER BY started_at DESC;
