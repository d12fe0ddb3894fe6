-- The event type's schema version under its registry subject, beside the registry's global
-- schema id. NULL for rows logged before records carried the rc-schema-version header: such
-- rows keep their canonical form (packages/log entry.ts leaves a trailing NULL of a later
-- field out), so their hashes and the chain over them do not change.
ALTER TABLE events ADD COLUMN schema_version integer;
