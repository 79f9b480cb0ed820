-- Functions and their URLs. Configuration is the validated model, stored as its JSON
-- (AWS's PascalCase names) so the model stays the one definition of each field.
CREATE TABLE functions (
    name         TEXT PRIMARY KEY NOT NULL,
    config       TEXT NOT NULL,
    code_sha256  TEXT NOT NULL,
    code_size    INTEGER NOT NULL,
    revision_id  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE function_urls (
    function_name TEXT PRIMARY KEY NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    url_id        TEXT NOT NULL UNIQUE,
    config        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
