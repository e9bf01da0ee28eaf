This is a plain text file, not a MARC record.
