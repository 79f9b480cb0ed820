-- CloudFront invalidations: paths and when they were made (milliseconds since the epoch).
CREATE TABLE invalidations (
    id               TEXT PRIMARY KEY NOT NULL,
    distribution_id  TEXT NOT NULL REFERENCES distributions(id) ON DELETE CASCADE,
    paths            TEXT NOT NULL,
    created_ms       INTEGER NOT NULL
);
CREATE INDEX invalidations_by_distribution ON invalidations(distribution_id);
