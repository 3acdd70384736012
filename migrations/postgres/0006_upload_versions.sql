-- The store's entity tag of the object an upload left at its key. When the object still has it
-- at admission, its bytes are the ones whose MD5 the upload recorded, and planning need not
-- hash the file again. Uploads recorded before this column keep being hashed.
ALTER TABLE staged_uploads ADD COLUMN e_tag TEXT;
