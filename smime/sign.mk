# sign: file list owned by the sign work
