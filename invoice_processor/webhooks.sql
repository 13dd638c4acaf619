-- record_event --
-- Writes an event as one pending delivery per endpoint of the tenant subscribed to it, in the caller's
-- transaction (webhook_event, migration 0012). Returns how many deliveries were written.
SELECT webhook_event(:tenant_id, :event, CAST(:data AS jsonb));

-- claim_deliveries --
-- Claims up to :limit due deliveries for one attempt each: the attempt number goes up (the fencing token
-- that record_attempt checks) and the next try moves :claim_s ahead, so that a runner that dies mid-POST
-- leaves the delivery to whoever comes after that. A row another runner is claiming is skipped.
WITH due AS MATERIALIZED (
    SELECT id FROM webhook_deliveries
    WHERE state = 'pending' AND next_attempt_at <= clock_timestamp()
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET attempts = d.attempts + 1,
    next_attempt_at = clock_timestamp() + make_interval(secs => CAST(:claim_s AS double precision))
FROM due, webhooks w
WHERE d.id = due.id AND w.id = d.webhook_id
RETURNING d.id, d.attempts, d.message_id, d.event, d.payload, w.url, w.secret;

-- record_attempt --
-- Ends an attempt: appends :entry to attempt_log; delivered if :delivered, else pending again in
-- :retry_in_s, or failed if that would be past :give_up_after_s since the event. Fenced: only the claim of
-- this attempt writes. Returns the new state, or nothing if the attempt was no longer this claim's.
WITH next AS (
    SELECT id,
           CASE
               WHEN CAST(:delivered AS boolean) THEN 'delivered'
               WHEN clock_timestamp() + make_interval(secs => CAST(:retry_in_s AS double precision))
                    > created_at + make_interval(secs => CAST(:give_up_after_s AS double precision)) THEN 'failed'
               ELSE 'pending'
           END AS state
    FROM webhook_deliveries WHERE id = :id
)
UPDATE webhook_deliveries d
SET attempt_log = d.attempt_log || jsonb_build_array(CAST(:entry AS jsonb)),
    state = n.state,
    next_attempt_at = CASE
        WHEN n.state = 'pending' THEN clock_timestamp() + make_interval(secs => CAST(:retry_in_s AS double precision))
    END,
    finished_at = CASE WHEN n.state <> 'pending' THEN clock_timestamp() END
FROM next n
WHERE d.id = n.id AND d.attempts = :attempt AND d.state = 'pending'
RETURNING d.state;
