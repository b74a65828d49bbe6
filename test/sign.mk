# tests of sign
