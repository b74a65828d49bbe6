# tests of verify
