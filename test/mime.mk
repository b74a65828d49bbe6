# tests of mime
