# tests of enroll
