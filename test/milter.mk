# tests of milter
