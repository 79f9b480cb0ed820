-- Custom CloudFront policies, the three kinds in one table: cache, origin request and response
-- headers policies. The configuration is the validated model's JSON in the API's shape; the id
-- is a UUID as CloudFront gives (managed policies are not stored: they live in the model).
CREATE TABLE policies (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('cache', 'origin-request', 'response-headers')),
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    etag        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (kind, name)
);
