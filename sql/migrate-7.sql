-- Version 6 to 7 (issue 15): each verification keeps the language the
-- visitor asked for it in (LANGUAGES), so that its code form, its error
-- pages, its JSON messages and its texts stay in that language.
ALTER TABLE verification ADD COLUMN lang TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 7;
