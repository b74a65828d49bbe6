# verify: file list owned by the verify work
