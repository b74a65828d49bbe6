# identity: file list owned by the identity work
