# enroll: file list owned by the enroll work
