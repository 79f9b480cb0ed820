-- CloudFront distributions. The configuration is the validated model's JSON in the API's
-- shape; the ETag changes on every update (CloudFront's optimistic concurrency).
CREATE TABLE distributions (
    id          TEXT PRIMARY KEY NOT NULL,
    domain      TEXT NOT NULL UNIQUE,
    config      TEXT NOT NULL,
    etag        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
