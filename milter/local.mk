# milter/: the daemon and the enroll tool, thin front ends over smime/
