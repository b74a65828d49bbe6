# tests of conf
