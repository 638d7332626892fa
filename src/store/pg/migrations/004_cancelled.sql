-- silkroute store (PostgreSQL), migration 4: one spelling of the job state, "cancelled" (the
-- API's), where the store wrote "canceled".
UPDATE jobs SET status = 'cancelled' WHERE status = 'canceled';
